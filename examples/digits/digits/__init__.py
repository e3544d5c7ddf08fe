"""A small Dora project: a one-hidden-layer MLP in numpy on scikit-learn's digits."""
