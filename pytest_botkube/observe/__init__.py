"""What the suite observes of a running BotKube: the webhook receiver."""
