"""leadpact: the lead agreement, enforced."""
