"""Where webhooks may go (atelier/webhooks/targets.py): http or https to a public address, no
user:pass@; every address a host stands for is checked, however it is spelled, and the hosts of
ATELIER_WEBHOOK_ALLOWED_HOSTS may be internal. IP literals need no DNS; the only name looked up
is `localhost`, which resolves on the machine itself."""

import pytest

from atelier.webhooks import targets


@pytest.fixture(autouse=True)
def _nothing_allowed(settings):
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # loopback, unspecified
        ("http://127.0.0.1/", "127.0.0.1 is an internal address (loopback)"),
        ("http://127.8.9.10:8000/x", "(loopback)"),
        ("http://[::1]/", "::1 is an internal address (loopback)"),
        ("http://0.0.0.0/", "(unspecified)"),
        ("http://[::]/", "(unspecified)"),
        ("http://0.1.2.3/", "(this network)"),
        # private ranges
        ("http://10.0.0.5/", "10.0.0.5 is an internal address (private)"),
        ("http://172.16.0.1/", "(private)"),
        ("http://172.31.255.254/", "(private)"),
        ("https://192.168.1.1/", "(private)"),
        ("http://[fc00::1]/", "(private)"),
        ("http://[fd12:3456::1]/", "(private)"),
        # link-local, the cloud metadata service among them
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is an internal address"),
        ("http://169.254.0.1/", "(link-local)"),
        ("http://[fe80::1]/", "(link-local)"),
        # multicast, reserved, broadcast, carrier-grade NAT, documentation, benchmarking
        ("http://224.0.0.1/", "(multicast)"),
        ("http://[ff02::1]/", "(multicast)"),
        ("http://240.0.0.1/", "(reserved)"),
        ("http://255.255.255.255/", "(reserved)"),
        ("http://100.64.0.1/", "(shared, carrier-grade NAT)"),
        ("http://100.127.255.254/", "(shared, carrier-grade NAT)"),
        ("http://192.0.2.10/", "is an internal address"),
        ("http://198.18.0.1/", "is an internal address"),
        # IPv4 wrapped in IPv6
        ("http://[::ffff:127.0.0.1]/", "(loopback 127.0.0.1 inside an IPv4-mapped IPv6 address)"),
        ("http://[::ffff:a9fe:a9fe]/", "(link-local 169.254.169.254 inside an IPv4-mapped"),
        ("http://[::127.0.0.1]/", "(loopback 127.0.0.1 inside an IPv4-compatible IPv6 address)"),
        ("http://[::a00:5]/", "(private 10.0.0.5 inside an IPv4-compatible IPv6 address)"),
        ("http://[64:ff9b::a00:5]/", "(private 10.0.0.5 inside a NAT64 address)"),
        ("http://[2002:7f00:1::1]/", "(loopback 127.0.0.1 inside a 6to4 address)"),
        ("http://[2002:c0a8:101::1]/", "(private 192.168.1.1 inside a 6to4 address)"),
        (
            "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
            "(loopback 127.0.0.1 inside a Teredo address)",
        ),
        # the other spellings of 127.0.0.1 that resolvers accept
        ("http://2130706433/", "2130706433 (127.0.0.1) is an internal address (loopback)"),
        ("http://0177.0.0.1/", "0177.0.0.1 (127.0.0.1) is an internal address (loopback)"),
        ("http://0x7f.1/", "0x7f.1 (127.0.0.1) is an internal address (loopback)"),
        ("http://0x7f000001/", "(127.0.0.1) is an internal address (loopback)"),
        ("http://127.1/", "127.1 (127.0.0.1) is an internal address (loopback)"),
        ("http://0/", "0 (0.0.0.0) is an internal address (unspecified)"),
        ("http://127.0.0.1./", "127.0.0.1 is an internal address (loopback)"),
        ("http://LOCALHOST:8000/", "localhost resolves to "),
        # names are resolved, and refused when an address is internal
        ("http://localhost/", "localhost resolves to "),
        ("https://localhost:8443/hooks", "an internal address (loopback)"),
    ],
)
def test_internal_addresses_are_refused(url, reason):
    with pytest.raises(targets.Refused) as refused:
        targets.vet(url)
    assert reason in str(refused.value)
    assert "public addresses only" in str(refused.value)
    assert not isinstance(refused.value, targets.Unresolved)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://93.184.215.14/", "Only http and https URLs"),
        ("file:///etc/passwd", "Only http and https URLs"),
        ("gopher://93.184.215.14/", "Only http and https URLs"),
        ("93.184.215.14/hooks", "Only http and https URLs"),
        ("http:///hooks", "no host"),
        ("http://user:secret@93.184.215.14/", "user name or password"),
        ("http://user@93.184.215.14/", "user name or password"),
        ("http://127.0.0.1\\@93.184.215.14/", "user name or password"),
        ("http://93.184.215.14:99999/", "port"),
    ],
)
def test_only_plain_http_and_https_urls_with_a_host_are_accepted(url, reason):
    with pytest.raises(targets.Refused, match=reason):
        targets.vet(url)


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "path", "addresses"),
    [
        ("http://93.184.215.14/", "http", "93.184.215.14", 80, "/", ("93.184.215.14",)),
        ("https://93.184.215.14", "https", "93.184.215.14", 443, "/", ("93.184.215.14",)),
        ("HTTPS://93.184.215.14:8443/in?a=1#top", "https", "93.184.215.14", 8443, "/in?a=1", None),
        ("https://[2606:4700::1111]/in", "https", "2606:4700::1111", 443, "/in", None),
        ("http://1.1.1.1/", "http", "1.1.1.1", 80, "/", None),
        # a public IPv4 address wrapped in IPv6 reaches that address and nothing else
        ("http://[::ffff:93.184.215.14]/", "http", "::ffff:93.184.215.14", 80, "/", None),
        ("http://[64:ff9b::5db8:d70e]/", "http", "64:ff9b::5db8:d70e", 80, "/", None),
        # and an odd spelling of a public address is that address
        ("http://0x5db8d70e/", "http", "0x5db8d70e", 80, "/", ("93.184.215.14",)),
    ],
)
def test_public_addresses_are_accepted(url, scheme, host, port, path, addresses):
    target = targets.vet(url)
    assert (target.scheme, target.host, target.port, target.path) == (scheme, host, port, path)
    if addresses is not None:
        assert target.addresses == addresses
    assert len(target.addresses) == 1


def test_a_name_that_does_not_resolve_is_refused_with_a_clear_message():
    # .invalid never resolves (RFC 6761)
    with pytest.raises(targets.Unresolved, match=r"^nowhere\.invalid does not resolve"):
        targets.vet("https://nowhere.invalid/hooks")


def test_a_name_is_checked_on_every_address_it_resolves_to():
    # whatever localhost resolves to here (127.0.0.1, ::1 or both), every address is vetted
    with pytest.raises(targets.Refused, match="internal address"):
        targets.vet("http://localhost:8000/")


@pytest.mark.parametrize(
    ("allowed", "url"),
    [
        (["127.0.0.1"], "http://127.0.0.1:8000/hooks"),
        (["localhost"], "http://localhost:8000/hooks"),
        (["LocalHost."], "http://localhost:8000/hooks"),
        (["::1"], "http://[::1]:8000/hooks"),
        (["[::1]"], "http://[::1]:8000/hooks"),
        (["0:0::1"], "http://[::1]:8000/hooks"),
        (["10.0.0.5", "hooks.example.com"], "https://10.0.0.5/in"),
    ],
)
def test_the_allowed_hosts_may_be_internal(settings, allowed, url):
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = allowed
    target = targets.vet(url)
    assert target.addresses  # the addresses it will connect to, vetted or allowed


@pytest.mark.parametrize(
    ("allowed", "url"),
    [
        (["127.0.0.1"], "http://localhost:8000/"),  # the host as written is what is allowed
        (["localhost"], "http://127.0.0.1:8000/"),
        (["127.0.0.1"], "http://127.0.0.2:8000/"),
        (["127.0.0.1"], "http://[::1]:8000/"),
        (["example.com"], "http://10.0.0.5/"),
    ],
)
def test_only_the_allowed_hosts_may_be_internal(settings, allowed, url):
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = allowed
    with pytest.raises(targets.Refused, match="internal address"):
        targets.vet(url)


def test_an_allowed_host_still_needs_an_http_url_without_credentials(settings):
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with pytest.raises(targets.Refused, match="user name or password"):
        targets.vet("http://admin:admin@127.0.0.1/")
    with pytest.raises(targets.Refused, match="Only http and https"):
        targets.vet("ftp://127.0.0.1/")
