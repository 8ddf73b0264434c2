"""The production profile passes Django's deployment checklist without a single warning."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def _secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(60))


def test_check_deploy_passes_in_production_profile(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ZINA_", "DJANGO_", "SECURE_", "DEBUG", "ALLOWED_HOSTS"))
    }
    env.update(
        ZINA_PROFILE="production",
        SECRET_KEY=_secret_key(),
        ALLOWED_HOSTS="zina.example.lv",
        ZINA_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-m", "zina.manage", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(settings.BASE_DIR).parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr + result.stdout


def test_production_profile_requires_a_secret_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        ZINA_PROFILE="production", ALLOWED_HOSTS="zina.example.lv", ZINA_DATA_DIR=str(tmp_path)
    )
    result = subprocess.run(
        [sys.executable, "-m", "zina.manage", "check"],
        cwd=Path(settings.BASE_DIR).parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
