"""A small Dora project configured with Hydra: a numpy MLP on scikit-learn's digits."""
