"""The exchange boundary: the one ccxt client, each exchange's quirks, the shared rate limiter,
and the simulator's control client. Below every domain app; knows none of them."""
