"""Use cases, one verb each; every one takes a unit of work and a clock so CLI, API and web share them."""
