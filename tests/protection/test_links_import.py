"""``manage.py protection_import_domains``: plain, hosts and CSV lists, audited, and bad files."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.protection.models import BlockedDomain
from core.models import AuditAction, AuditEntry


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("protection_import_domains", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def listed():
    return {
        entry.domain: (entry.severity, entry.reason, entry.source)
        for entry in BlockedDomain.objects.all()
    }


@pytest.mark.django_db
def test_plain_lines_with_comments_urls_and_wildcards(tmp_path):
    # given
    path = tmp_path / "phishing.txt"
    path.write_text(
        "# a phishing list\n\nEvil-Phish.com\n*.bad-login.net  # wildcard\n"
        "https://steal.example.org/path?x=1\nxn--pple-43d.com\n",
        encoding="utf-8",
    )

    # when
    out, err = run(path)

    # then
    assert listed() == {
        "evil-phish.com": ("refuse", "", "phishing.txt"),
        "bad-login.net": ("refuse", "", "phishing.txt"),
        "steal.example.org": ("refuse", "", "phishing.txt"),
        "\u0430pple.com": ("refuse", "", "phishing.txt"),
    }
    assert "4 added, 0 changed, 0 unchanged, 0 lines skipped (source: phishing.txt)." in out
    assert "… 4 domains so far" in out
    assert err == ""


@pytest.mark.django_db
def test_a_hosts_file_with_severity_and_source(tmp_path):
    path = tmp_path / "hosts"
    path.write_text(
        "127.0.0.1 localhost\n::1 ip6-localhost ip6-loopback\n"
        "0.0.0.0 ads.tracker.com pixel.tracker.com # trackers\n0.0.0.0 malware.biz\n",
        encoding="utf-8",
    )

    run(path, "--severity", "warn", "--source", "StevenBlack")

    assert listed() == {
        "ads.tracker.com": ("warn", "", "StevenBlack"),
        "pixel.tracker.com": ("warn", "", "StevenBlack"),
        "malware.biz": ("warn", "", "StevenBlack"),
    }


@pytest.mark.django_db
def test_csv_with_a_header_and_per_row_severity_and_reason(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        'reason,domain,severity\nmalware,malware.biz,refuse\n"scams, mostly",deals.shop,warn\n'
        ",plain.example.com,\n",
        encoding="utf-8",
    )

    run(path)

    assert listed() == {
        "malware.biz": ("refuse", "malware", "list.csv"),
        "deals.shop": ("warn", "scams, mostly", "list.csv"),
        "plain.example.com": ("refuse", "", "list.csv"),
    }


@pytest.mark.django_db
def test_csv_without_a_header_is_domain_severity_reason(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("malware.biz,warn,drive-by downloads\ndeals.shop\n", encoding="utf-8")

    run(path)

    assert listed() == {
        "malware.biz": ("warn", "drive-by downloads", "list.csv"),
        "deals.shop": ("refuse", "", "list.csv"),
    }


@pytest.mark.django_db
def test_every_added_and_changed_domain_is_audited_and_a_rerun_changes_nothing(tmp_path):
    # given: one domain listed by hand
    BlockedDomain.objects.create(domain="malware.biz", severity="warn", reason="old")
    path = tmp_path / "list.csv"
    path.write_text("malware.biz,refuse,drive-by\nnew.example.com,,\n", encoding="utf-8")

    # when
    out, _err = run(path)

    # then
    assert "1 added, 1 changed, 0 unchanged" in out
    rows = {
        (row.action, row.after["domain"]): row
        for row in AuditEntry.objects.filter(target_type="blocked_domain")
    }
    assert set(rows) == {
        (AuditAction.BLOCKED_DOMAIN_CHANGED, "malware.biz"),
        (AuditAction.BLOCKED_DOMAIN_ADDED, "new.example.com"),
    }
    changed = rows[(AuditAction.BLOCKED_DOMAIN_CHANGED, "malware.biz")]
    assert changed.before == {
        "domain": "malware.biz", "severity": "warn", "reason": "old", "source": ""
    }  # fmt: skip
    assert changed.after["severity"] == "refuse"
    assert changed.actor_name.startswith("manage.py (")
    assert changed.target_id == BlockedDomain.objects.get(domain="malware.biz").pk
    added = rows[(AuditAction.BLOCKED_DOMAIN_ADDED, "new.example.com")]
    assert added.target_id == BlockedDomain.objects.get(domain="new.example.com").pk

    # when: the same list again
    out, _err = run(path)

    # then
    assert "0 added, 0 changed, 2 unchanged" in out
    assert AuditEntry.objects.filter(target_type="blocked_domain").count() == 2


@pytest.mark.django_db
def test_bad_lines_are_skipped_and_named(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("good.example.com\nnot a domain\nlocalhost\n192.168.1.1\n", encoding="utf-8")

    out, err = run(path)

    assert set(listed()) == {"good.example.com"}
    assert "3 lines skipped" in out
    assert "line 2 skipped ('not a domain'): expected one domain" in err
    assert "line 3 skipped ('localhost'): “localhost” is not a domain name." in err
    assert "line 4 skipped ('192.168.1.1'): an address without a domain" in err


@pytest.mark.django_db
def test_more_than_a_batch_imports_in_batches_with_progress(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("\n".join(f"site{i}.example.com" for i in range(1200)), encoding="utf-8")

    out, _err = run(path)

    assert BlockedDomain.objects.count() == 1200
    assert AuditEntry.objects.filter(action=AuditAction.BLOCKED_DOMAIN_ADDED).count() == 1200
    assert out.count("domains so far") == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "no such file", id="missing"),
        pytest.param(b"", "no domain found (an empty file or only comments)", id="empty"),
        pytest.param(b"# only\n# comments\n", "no domain found (an empty file", id="comments"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a text file", id="binary"),
        pytest.param("évil.com".encode("latin-1"), "not UTF-8 text (byte 0)", id="latin-1"),
        pytest.param(
            b"not a domain\nneither this\n",
            "no domain found; line 1 ('not a domain'): expected one domain",
            id="no-valid-line",
        ),
        pytest.param(
            b"domain,severity\nmalware.biz,block\n",
            "line 2 ('malware.biz'): severity must be warn or refuse, not “block”",
            id="bad-severity",
        ),
    ],
)
def test_a_bad_file_is_a_command_error_and_nothing_is_written(tmp_path, content, message):
    path = tmp_path / "list.txt"
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(CommandError) as raised:
        run(path)

    assert message in str(raised.value)
    assert not BlockedDomain.objects.exists()
    assert not AuditEntry.objects.filter(target_type="blocked_domain").exists()


@pytest.mark.django_db
def test_an_unknown_severity_option_is_refused(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("malware.biz\n", encoding="utf-8")

    with pytest.raises(CommandError, match="invalid choice: 'block'"):
        run(path, "--severity", "block")
