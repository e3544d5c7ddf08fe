"""Grid files of the test project (tests write more of them at run time)."""
