"""A pure, version-aware model of upstream BotKube. Never imports the cluster layer."""
