"""The barest Nameko service: one @rpc that answers what it was given. `make bench` starts
it (`nameko run bench.echo_service:Echo`) on its suite's vhost and calls it through
kit.rpc_client.RpcClient, the gateway's client, for the RPC hop's own cost."""

from nameko.rpc import rpc


class Echo:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value
