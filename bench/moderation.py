"""Automated moderation benchmark: throughput, publish-to-decision latency, precision and recall.

Prints, measured in the same run:

1. assessments per second per core on a generated stream of posts: the raw
   profanity classifier alone (batched, and one text per call) as the baseline,
   then every assessor batched, every assessor one post at a time, and the whole
   pipeline in process (snapshot, assess, write the Assessment, decide, act) one
   status per call and in batches of 100 (what the draining worker task does) —
   with ratios to the baseline;
2. publish-to-decision latency p50/p95 with a real Celery worker process on Redis:
   statuses published through ``apps.feed.services`` at a steady rate, the worker
   assessing them, timed until the assessment is written and until the decision is
   seen in the database;
3. precision and recall per category on the labelled set
   ``tests/moderation/data/labelled.jsonl`` (a category counts as flagged when its
   policy would at least queue), with a stand-in link checker reading
   ``tests/moderation/data/link_blocklist.txt`` and the known hashes from
   ``tests/moderation/data/known_hashes.json``;
4. precision and recall per category on the corpus's blind part
   (``tests/moderation/data/corpus/blind``, written by people who never saw the
   assessors; see its README), and on its training part beside it, with 95% Wilson
   confidence intervals: a category counts as detected when its score is 0.5 or more,
   and "any harm" when the pipeline's own decision is not ``allow``, as issue 13
   measures them. Only the figures are printed, never a post: the blind part is
   scored, not read. ``--quality-only`` runs just this part (and 3).

It creates the PostgreSQL database ``agora_modbench`` (migrates it: minutes the
first time) and drops it afterwards (``--keep-db`` keeps it), and uses Redis
database 12, which it empties at the start and the end::

    .venv/bin/python bench/moderation.py --small

``DATABASE_URL``/``REDIS_URL`` override the defaults (the database is always
created and dropped by name, so point it only at a scratch database).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/agora_modbench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
os.environ.setdefault("CELERY_BROKER_URL", os.environ["REDIS_URL"])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.scratchdb import database_create, database_drop, database_name  # noqa: E402

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"

DATA = ROOT / "tests" / "moderation" / "data"
SIZES = {
    # stream posts, one-at-a-time posts, pipeline posts, latency posts
    "small": (5_000, 500, 200, 60),
    "full": (50_000, 3_000, 1_000, 400),
}
BATCH = 256
LATENCY_RATE_PER_SECOND = 20
WORKER_READY_SECONDS = 90
# Authors are established accounts: a stream from brand-new ones would (rightly) trip the
# new-account burst signal and measure mostly the review queue.
ESTABLISHED = datetime(2020, 1, 1, tzinfo=UTC)

WORDS = (
    "morning coffee river walk garden book train city music friends weekend market bread "
    "dog cat sunset rain project code release meeting football concert museum library soup "
    "bike school photo festival holiday team lunch dinner park beach mountain snow tea "
    "recipe film series game night family street neighbour choir lecture podcast"
).split()
OPENERS = ["Just", "Today", "Finally", "Anyone", "Loving the", "Thinking about", "Great", "Our"]
INSULTS = [
    "you are a fucking idiot",
    "shut up you stupid piece of shit",
    "what a worthless moron",
    "go fuck yourself",
    "nobody likes you, dumb bitch",
]
SCAMS = [
    "Send 0.1 BTC and receive 0.2 BTC back, verify your wallet now",
    "Guaranteed returns 20% weekly, DM me to invest",
    "You have won a prize, pay a small delivery fee to claim it",
]
SPAM = "Huge sale on sneakers today only, buy now at https://kicks.example/shop?ref={n}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


def stream(count: int, rng: random.Random) -> list[str]:
    """A generated stream: mostly everyday posts, some insults, repeated spam, scams, personal data."""
    posts = []
    for n in range(count):
        roll = rng.random()
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 24)))
        if roll < 0.80:
            posts.append(f"{rng.choice(OPENERS)} {words}")
        elif roll < 0.88:
            posts.append(f"{words} {rng.choice(INSULTS)}")
        elif roll < 0.93:
            posts.append(SPAM.format(n=n))
        elif roll < 0.96:
            posts.append(rng.choice(SCAMS))
        elif roll < 0.99:
            posts.append(f"{words} call me on +44 20 7946 {rng.randint(1000, 9999)}")
        else:
            posts.append(f"{words} https://{rng.choice(WORDS)}.example/{n}")
    return posts


def rate(count: int, wall: float, cpu: float) -> tuple[float, float]:
    return count / wall, count / cpu if cpu else float("inf")


def timed(function) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def throughput(sizes, rng: random.Random) -> None:
    from profanity_check import predict_prob

    from apps.moderation import assessors
    from apps.moderation.assessors import Context, Item
    from apps.moderation.assessors.offensive import classifier_text

    stream_count, single_count, pipeline_count, _latency = sizes
    posts = stream(stream_count, rng)
    items = [Item(key=str(n), text=text, author_id=1 + n % 997) for n, text in enumerate(posts)]
    for assessor in assessors.default_assessors():
        getattr(assessor, "load", lambda: None)()
    predict_prob(["warm up"])

    print(
        f"\n== Throughput on a generated stream of {stream_count:,} posts (one process, one core)"
    )
    rows = []

    def raw_batched():
        for start in range(0, len(posts), BATCH):
            predict_prob([classifier_text(t) for t in posts[start : start + BATCH]])

    rows.append(("raw classifier, batches of 256 (baseline)", stream_count, *timed(raw_batched)))

    def raw_single():
        for text in posts[:single_count]:
            predict_prob([text])

    rows.append(("raw classifier, one text per call", single_count, *timed(raw_single)))

    def agora_batched():
        context = Context()
        for start in range(0, len(items), BATCH):
            assessors.assess(items[start : start + BATCH], context)

    rows.append(("all assessors, batches of 256", stream_count, *timed(agora_batched)))

    def agora_single():
        context = Context()
        for item in items[:single_count]:
            assessors.assess([item], context)

    rows.append(("all assessors, one post per call", single_count, *timed(agora_single)))

    one, batched = pipeline_timing(posts[:pipeline_count])
    rows.append(("pipeline in process, one status per call", pipeline_count, *one))
    rows.append(("pipeline in process, batches of 100 (the drain)", pipeline_count, *batched))

    baseline = rows[0][1] / rows[0][3]
    print(
        f"{'workload':52} {'posts':>7} {'per s (wall)':>13} {'per s per core':>15} {'vs baseline':>12}"
    )
    for name, count, wall, cpu in rows:
        per_wall, per_cpu = rate(count, wall, cpu)
        print(
            f"{name:52} {count:>7,} {per_wall:>13,.0f} {per_cpu:>15,.0f} {per_cpu / baseline:>11.2f}x"
        )


def pipeline_timing(posts: list[str]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The whole pipeline in this process on statuses in PostgreSQL (no broker): snapshot,
    assess, write the assessment, act. One status per call, then batches of 100."""
    from django.db import connection

    from apps.feed.models import Status
    from apps.moderation import pipeline
    from tests.accounts.factories import UserFactory

    authors = [
        UserFactory(username=f"bench_pipeline_{n}", date_joined=ESTABLISHED) for n in range(20)
    ]

    def make() -> list[Status]:
        return Status.objects.bulk_create(
            [
                Status(account=authors[n % len(authors)], text=text, content=text)
                for n, text in enumerate(posts)
            ]
        )

    connection.ensure_connection()
    singles, batches = make(), make()

    def one_by_one():
        for status in singles:
            pipeline.content_assess(content_type="status", content_id=status.pk, trigger="manual")

    def batched():
        for start in range(0, len(batches), 100):
            pipeline.contents_assess(
                [
                    pipeline.Request("status", status.pk, "manual")
                    for status in batches[start : start + 100]
                ]
            )

    return timed(one_by_one), timed(batched)


def start_worker():
    log_path = Path(tempfile.gettempdir()) / f"modbench-worker-{os.getpid()}.log"
    hostname = f"modbench-{os.getpid()}@{socket.gethostname()}"
    log = log_path.open("wb")
    process = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).with_name("celery")),
            "--workdir",
            "platform",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            hostname,
        ],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, "LOG_FORMAT": "text"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from config.celery import app

    deadline = time.monotonic() + WORKER_READY_SECONDS
    while not app.control.ping(destination=[hostname], timeout=1.0):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"the Celery worker did not start; see {log_path}")
    return process, log_path


def latency(sizes, rng: random.Random) -> None:
    from django.utils import timezone

    from apps.feed import services
    from apps.feed.models import Status
    from apps.moderation.models import Assessment
    from tests.accounts.factories import UserFactory

    count = sizes[3]
    print(
        f"\n== Publish-to-decision latency: {count} statuses at {LATENCY_RATE_PER_SECOND}/s, one worker (solo pool) on Redis"
    )
    process, log_path = start_worker()
    try:
        authors = [
            UserFactory(username=f"bench_latency_{n}", date_joined=ESTABLISHED) for n in range(10)
        ]
        # Warm the worker (first task imports the pipeline) before measuring.
        warm = services.status_create(author=authors[0], text="warming up the worker")
        wait_for(
            lambda: Assessment.objects.filter(content_id=warm.pk).exists(), "the warm-up assessment"
        )
        posts = stream(count, rng)
        published: dict[int, float] = {}
        seen: dict[int, float] = {}
        publish_seconds: list[float] = []
        publishing_done = threading.Event()

        def poll() -> None:
            """Watch for decisions while statuses are being published (its own DB connection)."""
            from django.db import connection

            deadline = None
            try:
                while True:
                    if publishing_done.is_set():
                        deadline = deadline or time.monotonic() + 120
                        if len(seen) >= len(published) or time.monotonic() > deadline:
                            return
                    pending = [pk for pk in list(published) if pk not in seen]
                    if pending:
                        found = Assessment.objects.filter(content_id__in=pending).values_list(
                            "content_id", flat=True
                        )
                        now = timezone.now().timestamp()
                        for content_id in found:
                            seen[content_id] = now
                    time.sleep(0.005)
            finally:
                connection.close()

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        interval = 1.0 / LATENCY_RATE_PER_SECOND
        next_at = time.monotonic()
        for n, text in enumerate(posts):
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            started = time.perf_counter()
            status = services.status_create(author=authors[n % len(authors)], text=text)
            published[status.pk] = timezone.now().timestamp()
            publish_seconds.append(time.perf_counter() - started)
        publishing_done.set()
        poller.join()
        written = dict(
            Assessment.objects.filter(content_id__in=list(published)).values_list(
                "content_id", "created_at"
            )
        )
        to_written = [written[pk].timestamp() - published[pk] for pk in written]
        to_seen = [seen[pk] - published[pk] for pk in seen]
        decisions = Counter(
            Assessment.objects.filter(content_id__in=list(published)).values_list(
                "decision", flat=True
            )
        )
        hidden = Status.objects.filter(
            pk__in=list(published), moderation_state__in=("hidden", "removed")
        ).count()
        print(
            f"assessed {len(written)}/{len(published)}; decisions {dict(sorted(decisions.items()))}; "
            f"statuses hidden or removed {hidden}"
        )
        print(
            f"publishing a status (status_create, the publisher's side) p50 "
            f"{percentile(publish_seconds, 0.5) * 1000:.1f} ms; latencies below start when it returns"
        )
        if to_written:
            print(
                f"publish -> assessment written   p50 {percentile(to_written, 0.5) * 1000:8.1f} ms   "
                f"p95 {percentile(to_written, 0.95) * 1000:8.1f} ms   max {max(to_written) * 1000:8.1f} ms"
            )
            print(
                f"publish -> decision seen in db  p50 {percentile(to_seen, 0.5) * 1000:8.1f} ms   "
                f"p95 {percentile(to_seen, 0.95) * 1000:8.1f} ms   (polled every 5 ms)"
            )
        durations = list(
            Assessment.objects.filter(content_id__in=list(published)).values_list(
                "duration_ms", flat=True
            )
        )
        if durations:
            print(
                f"assess+decide inside the task   p50 {statistics.median(durations):8.2f} ms   "
                f"p95 {percentile(durations, 0.95):8.2f} ms"
            )
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        print(f"(worker log: {log_path})")


def wait_for(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.01)


def quality() -> None:
    from apps.moderation.assessors import Context, Item, assess
    from apps.moderation.models import Category, KnownMediaHash
    from apps.moderation.policies import policies_load
    from core import checks

    rows = [
        json.loads(line)
        for line in (DATA / "labelled.jsonl").read_text().splitlines()
        if line.strip()
    ]
    blocked = {
        line.strip()
        for line in (DATA / "link_blocklist.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }

    def blocklist_checker(text: str) -> checks.CheckResult:
        from apps.moderation.assessors.text import domains

        hit = any(domain in blocked for domain in domains(text))
        return checks.CheckResult(
            "bench-blocklist", {"link": 0.99 if hit else 0.0}, is_blocking=hit
        )

    KnownMediaHash.objects.all().delete()
    for row in json.loads((DATA / "known_hashes.json").read_text()):
        KnownMediaHash.objects.create(**row)
    checks.register(blocklist_checker)
    try:
        items = [
            Item(key=row["id"], text=row["text"], media_hashes=tuple(row.get("media_hashes", ())))
            for row in rows
        ]
        results = assess(items, Context(record=False))
    finally:
        checks.unregister(blocklist_checker)
    policies = policies_load()

    print(
        f"\n== Quality on the labelled set ({len(rows)} examples, {DATA.relative_to(ROOT)}/labelled.jsonl)"
    )
    print("flagged = the category's policy would at least queue (score >= its queue threshold)")
    print(
        f"{'category':12} {'threshold':>9} {'support':>8} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>8} {'F1':>6}"
    )
    for category in Category.values:
        threshold = policies[category].queue_threshold
        tp = fp = fn = 0
        for row, result in zip(rows, results, strict=True):
            actual = category in row["labels"]
            predicted = result.score_of(category) >= threshold
            tp += actual and predicted
            fp += predicted and not actual
            fn += actual and not predicted
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / (tp + fn) if tp + fn else float("nan")
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else float("nan")
        print(
            f"{category:12} {threshold:>9.2f} {tp + fn:>8} {tp:>4} {fp:>4} {fn:>4} {precision:>10.3f} {recall:>8.3f} {f1:>6.3f}"
        )
    clean = [result for row, result in zip(rows, results, strict=True) if not row["labels"]]
    flagged_clean = sum(
        1 for result in clean
        if any(result.score_of(c) >= policies[c].queue_threshold for c in Category.values)
    )  # fmt: skip
    print(f"clean examples flagged in any category: {flagged_clean}/{len(clean)}")
    print(
        "(link uses a stand-in blocklist checker: it measures the wiring, not a real link scanner)"
    )


CORPUS = DATA / "corpus"
CORPUS_CATEGORIES = ("offensive", "spam", "scam", "pii")
DETECTION_SCORE = 0.5


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion (sound for small counts and 0 or 1)."""
    if trials == 0:
        return float("nan"), float("nan")
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    margin = z * ((share * (1 - share) / trials + z * z / (4 * trials * trials)) ** 0.5)
    return centre - margin / denominator, centre + margin / denominator


def corpus_rows(part: str) -> list[dict]:
    rows = []
    for path in sorted((CORPUS / part).glob("*.jsonl")):
        rows.extend(json.loads(line) for line in path.read_text("utf-8").splitlines() if line)
    return rows


def corpus_quality(part: str) -> dict[str, tuple[float, float]]:
    """Print (and return) precision and recall per category on one part of the corpus."""
    from apps.moderation.assessors import Context, Item, assess
    from apps.moderation.policies import decide, policies_load

    rows = corpus_rows(part)
    policies = policies_load()
    started = time.perf_counter()
    results = []
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        items = [Item(key=row["id"], text=row["text"]) for row in batch]
        results.extend(assess(items, Context(record=False)))
    seconds = time.perf_counter() - started

    def detected(result, category: str) -> bool:
        if category == "any harm":
            return decide(result.score_values(), policies, result.confidences()).decision != "allow"
        return result.score_of(category) >= DETECTION_SCORE

    def actual(row: dict, category: str) -> bool:
        return bool(row["labels"]) if category == "any harm" else category in row["labels"]

    print(
        f"\n== Quality on the corpus's {part} part: {len(rows)} posts "
        f"({sum(1 for r in rows if r['labels'])} harmful), scored in {seconds:.1f} s"
        + (" (in-sample: the text model was trained on these posts)" if part == "train" else "")
    )
    print(
        f"{'category':10} {'support':>7} {'TP':>4} {'FP':>4} {'FN':>4} "
        f"{'precision':>9} {'95% CI':>13} {'recall':>7} {'95% CI':>13}"
    )
    figures = {}
    for category in (*CORPUS_CATEGORIES, "any harm"):
        tp = fp = fn = 0
        for row, result in zip(rows, results, strict=True):
            truth, guess = actual(row, category), detected(result, category)
            tp += truth and guess
            fp += guess and not truth
            fn += truth and not guess
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / (tp + fn) if tp + fn else float("nan")
        p_low, p_high = wilson(tp, tp + fp)
        r_low, r_high = wilson(tp, tp + fn)
        print(
            f"{category:10} {tp + fn:>7} {tp:>4} {fp:>4} {fn:>4} {precision:>9.2f} "
            f"{f'{p_low:.2f}-{p_high:.2f}':>13} {recall:>7.2f} {f'{r_low:.2f}-{r_high:.2f}':>13}"
        )
        figures[category] = (precision, recall)
    decisions = [
        decide(result.score_values(), policies, result.confidences()).decision for result in results
    ]
    clean = [(row, d) for row, d in zip(rows, decisions, strict=True) if not row["labels"]]
    for label, subset in (
        ("clean decoys", clean),
        ("of them ordinary posts (everyday files)", [c for c in clean if "everyday" in c[0]["id"]]),
    ):
        if not subset:
            continue
        queued = sum(1 for _row, d in subset if d == "queue")
        hidden = sum(1 for _row, d in subset if d in ("hide", "remove"))
        print(f"{label}: {len(subset)}, queued for a person {queued}, hidden or removed {hidden}")
    print("goal (issue 13): precision >= 0.90 at recall >= 0.80 for each row")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a short run")
    parser.add_argument("--keep-db", action="store_true", help="keep the agora_modbench database")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--quality-only",
        action="store_true",
        help="only precision and recall (the labelled set and the corpus), no timing",
    )
    options = parser.parse_args()
    sizes = SIZES["small" if options.small else "full"]
    rng = random.Random(options.seed)

    database_create()
    import django

    django.setup()
    from django.core.management import call_command

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"database {database_name()} migrated in {time.perf_counter() - started:.0f} s")
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"{os.cpu_count()} cores; load average before measuring: {load}")
        from waffle.models import Flag

        from core import flags

        for name in (
            flags.AI_MODERATION,
            flags.HUMAN_REVIEW_QUEUE,
            flags.SCAM_DETECTION,
            flags.LINK_SAFETY_SCANNING,
        ):
            Flag.objects.update_or_create(name=name, defaults={"everyone": True})
        if not options.quality_only:
            redis_flush()
            throughput(sizes, rng)
            redis_flush()
            latency(sizes, rng)
        quality()
        corpus_quality("train")
        corpus_quality("blind")
    finally:
        redis_flush()
        if not options.keep_db:
            database_drop()
            print(f"\ndatabase {database_name()} dropped")


if __name__ == "__main__":
    main()
