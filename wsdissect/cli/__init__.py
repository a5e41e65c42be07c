"""The `wsdissect` command: a click group; each command lives in its own module of this package.

Exit codes: 0 analysis done (notes may exist), 1 analysis done and --strict found protocol violations,
2 usage or file error, 3 internal error (a bug in wsdissect), 130 interrupted.
"""
import gc
import importlib
import sys

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
    "query": ("query", "query"),
    "batch": ("batch", "batch"),
}


# click 8.2 raises this for a group run with no command (it prints the help); older clicks print it themselves.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


class LazyGroup(click.Group):
    def main(self, *args, standalone_mode: bool = True, **kwargs):
        """As click's, but a usage error (an unknown option, a bad value, a missing argument) is one line on
        stderr and exit 2, like every other error of wsdissect, instead of click's usage block."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except _NO_ARGS_IS_HELP as e:        # a bare `wsdissect`: the help, as click gives it
            e.show()
            sys.exit(e.exit_code)
        except click.UsageError as e:
            where = e.ctx.command_path if e.ctx is not None else "wsdissect"
            click.echo(f"wsdissect: error: {e.format_message()} (see: {where} --help)", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)

    def list_commands(self, ctx: click.Context) -> list:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str):
        where = COMMANDS.get(name)
        if where is None:
            return None
        return getattr(importlib.import_module(f".{where[0]}", __name__), where[1])


def _version(ctx: click.Context, param, value: bool) -> None:
    """--version: the version, and how the core runs (compiled by Cython or plain Python: wsdissect/build.py)."""
    if not value or ctx.resilient_parsing:
        return
    from ..build import summary
    click.echo(f"wsdissect, version {__version__} ({summary()})")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version (and whether the core runs compiled) and exit.")
def main() -> None:
    """See a WebSocket connection on the wire, packet by packet (RFC 6455)."""
    # An analysis allocates a few container objects per packet (tuples of the TCP queues, records), nearly none
    # of them in a reference cycle. At the default threshold (700) the cycle collector ran every few hundred
    # packets and now and then walked every object of the imports too: 3-5 % of `read --json` (perf; more with
    # many short connections). Peak memory did not change on the benchmark captures.
    gc.set_threshold(50_000, 20, 10)
