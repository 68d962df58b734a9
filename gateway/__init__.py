"""The Flask gateway: authenticates, validates, and calls services over AMQP RPC."""
