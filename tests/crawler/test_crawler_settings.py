"""Settings the spider derives: User-Agent contact, per-outlet download slots."""

from __future__ import annotations

from pathlib import Path

from scrapy.settings import Settings

from crawler.spiders.press import PressSpider


def settings_with(**values: object) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in values.items():
        settings.set(name, value, priority="cmdline")
    PressSpider.update_settings(settings)
    return settings


def test_polite_defaults() -> None:
    s = settings_with()
    assert s.getbool("ROBOTSTXT_OBEY") and s.getbool("AUTOTHROTTLE_ENABLED")
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert not s.getbool("TELNETCONSOLE_ENABLED") and not s.getbool("REMOTE_CONTROL_ENABLED")
    assert s.getdict("DEFAULT_REQUEST_HEADERS")["Accept-Encoding"] == "gzip, deflate"
    assert s.get("USER_AGENT").startswith("pressclips/")


def test_contact_goes_into_the_user_agent_unless_one_is_given() -> None:
    assert "+mailto:desk@example.org" in settings_with(PRESSCLIPS_CONTACT="mailto:desk@example.org").get("USER_AGENT")
    explicit = settings_with(PRESSCLIPS_CONTACT="mailto:desk@example.org", USER_AGENT="MyBot/1.0")
    assert explicit.get("USER_AGENT") == "MyBot/1.0"


def test_outlet_politeness_becomes_download_slots(tmp_path: Path) -> None:
    outlets = tmp_path / "outlets.toml"
    outlets.write_text('[[outlets]]\nname = "slow"\nhomepage = "http://127.0.0.1:9/"\n'
                       '[outlets.politeness]\ndownload_delay = 3.0\nconcurrency = 1\n\n'
                       '[[outlets]]\nname = "plain"\nhomepage = "http://127.0.0.1:10/"\n')
    slots = settings_with(PRESSCLIPS_OUTLETS=str(outlets), DOWNLOAD_DELAY=0.25).getdict("DOWNLOAD_SLOTS")
    assert slots["outlet:slow"]["delay"] == 3.0 and slots["outlet:slow"]["concurrency"] == 1
    assert slots["outlet:plain"]["delay"] == 0.25 and slots["outlet:plain"]["concurrency"] == 2


def test_autothrottle_starts_at_the_polite_floor_not_scrapys_five_seconds() -> None:
    s = settings_with()
    assert s.getfloat("AUTOTHROTTLE_START_DELAY") == s.getfloat("DOWNLOAD_DELAY") == 0.5
    assert s.getdict("EXTENSIONS")["crawler.runtime.ArchiveRuntime"] < s.getdict("EXTENSIONS")["crawler.extensions.RunRecorder"]
    # The delay floor must connect after Scrapy's AutoThrottle (order 0) to see its adjustment.
    assert s.getdict("EXTENSIONS")["crawler.throttle.OutletDelayFloor"] > 0
