"""The `wsdissect` command: a click group; each command lives in its own module of this package.

Exit codes: 0 analysis done (notes may exist), 1 analysis done and --strict found protocol violations,
2 usage or file error, 3 internal error (a bug in wsdissect), 130 interrupted.
"""
import gc
import importlib

import click

from .. import __version__

# name -> (module, function): a command's module is imported when the command runs (or --help lists it), so
# `wsdissect stats` does not import the live capture, the lab or the timeline (start-up is paid before a
# parallel read forks its workers: bench/README.md).
COMMANDS = {
    "read": ("read", "read"),
    "show": ("show", "show"),
    "follow": ("follow", "follow"),
    "stats": ("stats", "stats"),
    "report": ("report", "report"),
    "live": ("live", "live"),
    "serve": ("lab", "serve"),
    "demo": ("lab", "demo"),
    "worksheet": ("worksheet", "worksheet"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str):
        where = COMMANDS.get(name)
        if where is None:
            return None
        return getattr(importlib.import_module(f".{where[0]}", __name__), where[1])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wsdissect")
def main() -> None:
    """See a WebSocket connection on the wire, packet by packet (RFC 6455)."""
    # An analysis allocates a few container objects per packet (tuples of the TCP queues, records), nearly none
    # of them in a reference cycle. At the default threshold (700) the cycle collector ran every few hundred
    # packets and now and then walked every object of the imports too: 3-5 % of `read --json` (perf; more with
    # many short connections). Peak memory did not change on the benchmark captures.
    gc.set_threshold(50_000, 20, 10)
