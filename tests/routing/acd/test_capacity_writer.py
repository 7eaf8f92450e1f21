"""The cached routing state has one writer: routing/acd/capacity.py. Any other module of the product
that writes User.held, User.routable or the copies on AgentSkill fails this test (found by reading
the source: SQL updates, queryset updates, saves that name those fields)."""
import ast
import re
from pathlib import Path

import routing

CACHED = ("held", "routable", "agent_routable", "agent_idle_since")
WRITER = Path(routing.__file__).parent / "acd" / "capacity.py"
SQL_WRITE = re.compile(r"\b(?:SET|,)\s*(?:\w+\.)?(" + "|".join(CACHED) + r")\s*=", re.I)


def writes_in(path):
    """(line, what) for every write of a cached field in one module."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "UPDATE" in node.value.upper() or (
                isinstance(node, ast.JoinedStr)):
            text = node.value if isinstance(node, ast.Constant) else "".join(
                v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if "SET" in text.upper() or text.lstrip().startswith(","):
                found += [(node.lineno, f"SQL sets {m}") for m in SQL_WRITE.findall(text)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("update", "bulk_update"):
            found += [(node.lineno, f".update({k.arg}=...)") for k in node.keywords if k.arg in CACHED]
        elif isinstance(node, ast.keyword) and node.arg == "update_fields":
            names = [e.value for e in getattr(node.value, "elts", []) if isinstance(e, ast.Constant)]
            found += [(node.value.lineno, f"save(update_fields=[{n!r}])") for n in names if n in CACHED]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for t in (target.elts if isinstance(target, ast.Tuple) else [target]):
                    if isinstance(t, ast.Attribute) and t.attr in ("held", "routable", "agent_routable", "agent_idle_since"):
                        found.append((node.lineno, f"assigns .{t.attr}"))
    return found


def product_modules():
    root = Path(routing.__file__).parent.parent
    for app in ("routing", "digital", "campaigns", "cxsms_site"):
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_only_capacity_writes_the_cached_routing_state():
    elsewhere = {str(p): w for p in product_modules() if p != WRITER and (w := writes_in(p))}
    assert elsewhere == {}, "write the cached routing state through routing.acd.capacity only"


def test_the_scan_finds_each_kind_of_write(tmp_path):
    """The scan is not blind: each way of writing those fields is found, and capacity.py's own writes are."""
    sample = tmp_path / "sample.py"
    sample.write_text('''
sql.execute(f"UPDATE {t['user']} SET held = %s WHERE id = %s", [1, 2])
sql.execute("UPDATE x SET state = %s, routable = %s", [1, 2])
User.objects.filter(pk=1).update(routable=True)
agent.save(update_fields=["agent_idle_since"])
agent.held = 3
''')
    assert sorted(line for line, _what in writes_in(sample)) == [2, 3, 4, 5, 6]
    assert len(writes_in(WRITER)) >= 6
