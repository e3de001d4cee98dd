import json, os
import pytest
from pathlib import Path

pytestmark = pytest.mark.django_db


def test_dump(pipeline, settings):
    from tests.protection import pile_on_replay as r
    from apps.moderation.models import Assessment

    settings.PROTECTION_PILE_ON_MIN_SENDERS = 10**6  # never raise: just score
    rows = r.scenarios(Path(os.environ["SCEN"]))
    out = []
    for index, sc in enumerate(rows):
        written = []
        r.replay(sc, run=pipeline, index=index, written=written)
        by_id = {
            a.content_id: a.scores.get("offensive", {}).get("score", 0.0)
            for a in Assessment.objects.filter(
                content_type="status", content_id__in=[w[1] for w in written]
            )
        }
        out.append(
            {"id": sc["id"], "label": sc["label"], "scores": [by_id.get(w[1]) for w in written]}
        )
    Path(os.environ["OUT"]).write_text(json.dumps(out))
