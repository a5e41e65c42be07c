"""The `wsdissect` command: a click group; each command lives in its own module of this package.

Exit codes: 0 analysis done (notes may exist), 1 analysis done and --strict found protocol violations,
2 usage or file error, 3 internal error (a bug in wsdissect), 130 interrupted.
"""
import gc

import click

from .. import __version__
from .lab import demo, serve
from .live import live
from .read import read
from .show import show
from .follow import follow
from .stats import stats


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wsdissect")
def main() -> None:
    """See a WebSocket connection on the wire, packet by packet (RFC 6455)."""
    # An analysis allocates a few container objects per packet (tuples of the TCP queues, records), nearly none
    # of them in a reference cycle. At the default threshold (700) the cycle collector ran every few hundred
    # packets and now and then walked every object of the imports too: 3-5 % of `read --json` (perf; more with
    # many short connections). Peak memory did not change on the benchmark captures.
    gc.set_threshold(50_000, 20, 10)


main.add_command(read)
main.add_command(show)
main.add_command(follow)
main.add_command(stats)
main.add_command(live)
main.add_command(serve)
main.add_command(demo)
