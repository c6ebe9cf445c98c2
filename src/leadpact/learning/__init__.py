"""What is learned from data with scikit-learn: the ideal customer profile, the predictive model of the store's
leads and the workshop's refitted fit points. Pure functions over pandas frames; the services store the results."""
