"""CP PLUS URL builder, parser and masking."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from vigil.dvr.cpplus import (
    CpPlusPath,
    CpPlusUrlError,
    build_rtsp_url,
    channel_urls,
    credentials_are_portable,
    mask_url,
    parse_cpplus_path,
)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_reference_site_url_is_exactly_the_cpplus_format() -> None:
    url = build_rtsp_url("192.168.29.200", 3, 1, username="admin", password="Passw0rd", port=554)
    assert url == ("rtsp://192.168.29.200:554/user=admin&password=Passw0rd&channel=3&stream=1.sdp?")


def test_defaults_are_main_stream_on_port_554() -> None:
    url = build_rtsp_url("dvr.local", 1, username="admin", password="")
    assert url == "rtsp://dvr.local:554/user=admin&password=&channel=1&stream=0.sdp?"


def test_channel_map_of_the_reference_dvr() -> None:
    urls = channel_urls("192.168.29.200", 8, 1, username="admin", password="pw")
    assert list(urls) == list(range(1, 9))
    assert urls[8] == "rtsp://192.168.29.200:554/user=admin&password=pw&channel=8&stream=1.sdp?"
    with pytest.raises(CpPlusUrlError, match="at least one channel"):
        channel_urls("h", 0, username="admin", password="pw")


def test_ipv6_host_is_bracketed() -> None:
    assert build_rtsp_url("fe80::1", 1, username="a", password="b").startswith(
        "rtsp://[fe80::1]:554/"
    )


@pytest.mark.parametrize(
    ("password", "encoded"),
    [
        ("plain123", "plain123"),
        ("!$'()*+,;:-._~", "!$'()*+,;:-._~"),  # legal in a path, left as typed
        ("a&b", "a%26b"),  # the firmware's separators must be encoded
        ("a=b", "a%3Db"),
        ("a?b#c/d", "a%3Fb%23c%2Fd"),
        ("100%", "100%25"),
        ("p@ss word", "p%40ss%20word"),
        ("пароль", "%D0%BF%D0%B0%D1%80%D0%BE%D0%BB%D1%8C"),
    ],
)
def test_password_quoting(password: str, encoded: str) -> None:
    url = build_rtsp_url("10.0.0.1", 1, username="admin", password=password)
    assert f"&password={encoded}&channel=1" in url
    assert credentials_are_portable("admin", password) == (password == encoded)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"host": "10.0.0.1", "channel": 0}, "channels count from 1"),
        ({"host": "10.0.0.1", "channel": -2}, "channels count from 1"),
        ({"host": "10.0.0.1", "channel": True}, "channels count from 1"),
        ({"host": "10.0.0.1", "channel": 1, "stream": 2}, "0 is the main stream"),
        ({"host": "10.0.0.1", "channel": 1, "port": 0}, "expected 1..65535"),
        ({"host": "", "channel": 1}, "invalid DVR host"),
        ({"host": "a/b", "channel": 1}, "invalid DVR host"),
        ({"host": "10.0.0.1", "channel": 1, "username": ""}, "user name is empty"),
    ],
)
def test_builder_rejects_bad_parts(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"username": "admin", "password": "s3cret!", **kwargs}
    with pytest.raises(CpPlusUrlError, match=message) as info:
        build_rtsp_url(**args)  # type: ignore[arg-type]  # table-driven on purpose
    assert "s3cret!" not in str(info.value)


@pytest.mark.parametrize(
    "path",
    [
        "/user=admin&password=pw&channel=2&stream=1.sdp?",
        "/user=admin&password=pw&channel=2&stream=1.sdp",
        "user=admin&password=pw&channel=2&stream=1.sdp",
    ],
)
def test_parse_accepts_with_or_without_question_mark_and_slash(path: str) -> None:
    assert parse_cpplus_path(path) == CpPlusPath("admin", "pw", 2, 1)


def test_parse_tolerates_a_raw_ampersand_in_the_password() -> None:
    parsed = parse_cpplus_path("/user=admin&password=a&b=c&channel=1&stream=0.sdp")
    assert parsed.password == "a&b=c"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/", "not a CP PLUS RTSP path"),
        ("/cam/realmonitor?channel=1&subtype=0", "not a CP PLUS RTSP path"),
        ("/user=admin&password=x&channel=one&stream=0.sdp", "not a CP PLUS RTSP path"),
        ("/user=admin&password=x&channel=1&stream=0", "not a CP PLUS RTSP path"),
        ("/user=admin&password=x&channel=0&stream=0.sdp", "channels count from 1"),
        ("/user=admin&password=x&channel=1&stream=5.sdp", "expected 0 or 1"),
    ],
)
def test_parse_rejects_malformed_paths_without_leaking_the_password(
    path: str, message: str
) -> None:
    with pytest.raises(CpPlusUrlError, match=message) as info:
        parse_cpplus_path(path)
    assert "password=x" not in str(info.value)


def test_repr_hides_password() -> None:
    assert "hunter2" not in repr(CpPlusPath("admin", "hunter2", 1, 0))


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "rtsp://192.168.29.200:554/user=admin&password=Passw0rd&channel=1&stream=0.sdp?",
            "rtsp://192.168.29.200:554/user=admin&password=***&channel=1&stream=0.sdp?",
        ),
        (  # a raw `&` typed into a config is masked to `&channel=` as well
            "rtsp://h/user=admin&password=ab&cd&channel=1&stream=0.sdp?",
            "rtsp://h/user=admin&password=***&channel=1&stream=0.sdp?",
        ),
        (
            "rtsp://admin:secret@10.0.0.5:554/Streaming/101",
            "rtsp://admin:***@10.0.0.5:554/Streaming/101",
        ),
        ("rtsp://admin:p@ss@10.0.0.5/x", "rtsp://admin:***@10.0.0.5/x"),
        ("rtsp://admin:pa/ss@10.0.0.5/x", "rtsp://admin:***@10.0.0.5/x"),
        ("rtsp://admin@10.0.0.5/x", "rtsp://admin@10.0.0.5/x"),
        ("rtsp://10.0.0.5:554/live", "rtsp://10.0.0.5:554/live"),
        ("https://api/x?token=abc&page=2", "https://api/x?token=***&page=2"),
        ("http://h/cgi?user=a&pwd=zz;x=1", "http://h/cgi?user=a&pwd=***;x=1"),
        ("http://h/x?PASSWORD=Zz", "http://h/x?PASSWORD=***"),
        ("http://h/x?keyframe=1&passthrough=2", "http://h/x?keyframe=1&passthrough=2"),
        ("not a url", "not a url"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


credential = st.text(min_size=0, max_size=24)
username = st.text(min_size=1, max_size=16)
channels = st.integers(min_value=1, max_value=64)
streams = st.sampled_from([0, 1])


@given(username, credential, channels, streams, st.integers(min_value=1, max_value=65535))
def test_build_then_parse_round_trips(
    user: str, password: str, channel: int, stream: int, port: int
) -> None:
    url = build_rtsp_url("10.1.2.3", channel, stream, username=user, password=password, port=port)
    assert url.startswith(f"rtsp://10.1.2.3:{port}/user=") and url.endswith(".sdp?")
    assert parse_cpplus_path(path_of(url)) == CpPlusPath(user, password, channel, stream)


@given(username, credential, channels, streams)
def test_mask_replaces_exactly_the_password(
    user: str, password: str, channel: int, stream: int
) -> None:
    url = build_rtsp_url("10.1.2.3", channel, stream, username=user, password=password)
    expected = build_rtsp_url("10.1.2.3", channel, stream, username=user, password="***")
    assert mask_url(url) == expected


@given(username, st.text(min_size=6, max_size=24), channels)
def test_mask_never_leaves_the_password(user: str, password: str, channel: int) -> None:
    url = build_rtsp_url("10.1.2.3", channel, username=user, password=password)
    rest = build_rtsp_url("10.1.2.3", channel, username=user, password="")
    for form in {password, path_of(url).split("&password=")[1].split("&channel=")[0]}:
        assume(form not in rest and form not in "***")
        assert form not in mask_url(url)


@given(
    st.text(alphabet=st.characters(blacklist_characters="@/?#", codec="ascii"), min_size=1),
    st.text(alphabet=st.characters(codec="ascii"), min_size=6, max_size=20),
)
def test_mask_userinfo_never_leaves_the_password(user: str, password: str) -> None:
    from urllib.parse import quote

    user_q, password_q = quote(user, safe=""), quote(password, safe="")
    url = f"rtsp://{user_q}:{password_q}@10.0.0.9:554/Streaming/Channels/101"
    assume(password_q not in f"rtsp://{user_q}:@10.0.0.9:554/Streaming/Channels/101***")
    assert password_q not in mask_url(url)
    assert mask_url(url) == f"rtsp://{user_q}:***@10.0.0.9:554/Streaming/Channels/101"
