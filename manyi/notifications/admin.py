"""Nothing to administer by hand: notifications are written by the subscribers and read by
their recipients; preferences are each person's own (the settings page)."""
