"""Background work on Huey: the instance (`huey_app`), the tasks (`tasks`), the consumer target (`main`)."""
