"""Loading and validating mlops.yaml into a frozen ``Config``."""
