"""The Hydra back-end of dora-cli, split by concern (public names live in `dora.hydra`).

- `_errors`: the exceptions, all `ShepError`s, so the `dora` command prints them as
  `FATAL:` lines and a grid stops before anything is scheduled.
- `_overrides`: argv simplification and launcher values rendered in Hydra's grammar.
- `_sections`: the `dora:` and `slurm:` sections read into DoraConfig / SlurmConfig.
- `_compose`: composing configs with Hydra, the cache of compositions and the fast path.
- `_delta`: the recursive diff of two composed configs (the reference's rule).
- `_main`: `HydraMain` and the `hydra_main` decorator.
"""
