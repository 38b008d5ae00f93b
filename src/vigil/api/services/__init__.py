"""Services the API calls that belong to no pipeline stage: users and event queries."""
