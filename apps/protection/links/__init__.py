"""Link and lookalike safety: what ``core.checks`` asks protection about text and names.

``skeleton`` is Unicode TR39's confusable skeleton, ``extract`` finds the links in
plain text and HTML, ``verdict`` judges them (blocklist, shorteners, homographs of
protected domains, script URLs) and ``names`` compares names with protected accounts'.
"""
