"""Docs stay true: every settings key hoist knows (core/settings_keys.c) has its
entry in hoist-settings(5)."""
import re


def test_every_settings_key_is_documented(root):
    keys = re.findall(r'^\t\{ "([a-z_0-9]+)", T_', (root / "core/settings_keys.c").read_text(), re.M)
    assert len(keys) > 100
    documented = set(re.findall(r"^\.B ([a-z_0-9]+)$", (root / "man/hoist-settings.5").read_text(),
                                re.M))
    assert [k for k in keys if k not in documented] == []
