"""The demo: a year of a realistic B2B world, generated from a seed and run through the whole lead loop."""
