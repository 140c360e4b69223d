"""Generated requests through both clients: whatever the method, path,
parameters, headers, cookies and body, the app sees the same scope and the
same messages, and the test the same response (or the same exception)."""

from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._apps import echo
from ._harness import compare, describe, run_both

# Characters that need care in a URL or a header: reserved, percent, space, non-ASCII.
URL_CHARS = st.sampled_from(list("az09-._~!$&'()*+,;=:@%/ ?#éü日\t"))
TEXT = st.text(st.sampled_from(list("aZ09 -_,;=\"'é日")), max_size=6)
TOKEN = st.text(st.sampled_from(list("abcXYZ-_!#$%&'*+.^`|~0")), min_size=1, max_size=8)

bodies = st.one_of(
    st.just({}),
    st.builds(lambda b: {"data": b}, st.binary(max_size=40)),
    st.builds(lambda t: {"data": t}, TEXT),
    st.builds(lambda d: {"data": d}, st.dictionaries(TEXT, st.one_of(TEXT, st.lists(TEXT, max_size=2)), max_size=3)),
    st.builds(lambda j: {"json": j}, st.recursive(st.none() | st.integers() | TEXT, st.lists, max_leaves=4)),
    st.builds(
        lambda name, content, data: {"files": {"f": (name, content)}, "data": data},
        TEXT,
        st.binary(max_size=20),
        st.none() | st.dictionaries(TOKEN, TEXT, max_size=2),
    ),
    st.builds(
        lambda content, kind: {"files": [("f", ("a.txt", content, kind)), ("f", ("b.txt", content))]},
        st.binary(max_size=10),
        st.sampled_from(["text/plain", "application/octet-stream"]),
    ),
)

requests_ = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
        "path": st.text(URL_CHARS, max_size=12).map(lambda path: "/p/" + path),
        "params": st.lists(st.tuples(TEXT, TEXT), max_size=3),
        "headers": st.dictionaries(TOKEN, TEXT, max_size=3),
        "cookies": st.dictionaries(st.text(st.sampled_from(list("abc_")), min_size=1, max_size=4), TEXT, max_size=2),
        "body": bodies,
    }
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=requests_)
def test_generated_requests(backend, request):
    def scenario(client):
        # requests draws multipart boundaries from os.urandom: the same for both.
        with mock.patch("os.urandom", lambda n: b"\x02" * n):
            response = client.request(
                request["method"],
                request["path"],
                params=request["params"],
                headers=request["headers"],
                cookies=request["cookies"],
                **request["body"],
            )
        return describe(response, client)

    old, new = run_both(echo, scenario, backend=backend)
    compare(old, new)
