"""/research [question]: on-demand news research through the brain's researcher (Perplexity's
Agent API, cached, budgeted and recorded in the cost ledger like the pipeline's research); the
answer is third-party text and is quoted."""

from __future__ import annotations

from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import esc, quote, usd
from trading_bot.telegram.views import Reply, Request

MAX_SOURCES = 6


def research_view(deps: BotDeps, request: Request) -> Reply:
    question = " ".join(request.args).strip() or None
    inst_id = deps.settings.instruments[0]
    outcome = deps.researcher().ask(inst_id, question, deps.now())
    research = outcome.research
    if research is None:
        return Reply(f"No research: {esc(outcome.note)}")
    cost = "from cache, no cost" if research.from_cache else f"cost {usd(research.cost_usd)}"
    lines = [f"<b>Research</b> · {esc(research.model)} · {cost}", f"<i>{quote(research.query, 300)}</i>",
             f"<blockquote>{quote(research.answer, 2500)}</blockquote>"]
    if research.sources:
        lines.append("<b>Sources</b>")
        for number, source in enumerate(research.sources[:MAX_SOURCES], 1):
            title = f"{quote(source.title, 120)} — " if source.title else ""
            lines.append(f"{number}. {title}{quote(source.url, 300)}")
    else:
        lines.append("<i>no sources returned</i>")
    return Reply("\n".join(lines))
