#!/usr/bin/env python3
"""Seeds a commerce-policy service (serve --auth none) for the administration benchmarks.

  admin_seed.py URL tenant   10,000 users; 2,000 self-service subscriptions of 5 licenses,
                             bought by users 0..1999 and assigned to all 10,000 users
                             (five products in turn); prints nothing
  admin_seed.py URL move     600 users; one user's subscription of 500 licenses held by 500
                             users, and a central subscription of 500; prints both ids
Over one kept-alive connection, with the acting-user header as `--as` sends it.
"""
import http.client
import json
import sys
import urllib.parse

PRODUCTS = ["CFQ7TTC0H9MP", "CFQ7TTC0LH2H", "CFQ7TTC0HD33", "CFQ7TTC0HD32", "CFQ7TTC0LH3L"]


class Service:
    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port)

    def post(self, path, body, acting=None):
        headers = {"content-type": "application/json"}
        if acting:
            headers["x-commerce-acting-user"] = acting
        self.conn.request("POST", "/v1.0" + path, json.dumps(body), headers)
        answer = self.conn.getresponse()
        data = answer.read()
        if answer.status >= 300:
            sys.exit(f"POST {path}: {answer.status} {data[:300]!r}")
        return json.loads(data)


def upn(i):
    return f"user{i:05}@bench.test"


def add_users(svc, n):
    for start in range(0, n, 100):
        items = [{"userPrincipalName": upn(i), "displayName": f"Bench User {i}", "mail": upn(i)}
                 for i in range(start, min(n, start + 100))]
        svc.post("/users/import", {"items": items})


def tenant(svc):
    add_users(svc, 10_000)
    for i in range(2_000):
        sub = svc.post("/purchases", {"productId": PRODUCTS[i % 5], "quantity": 5}, acting=upn(i))
        users = [upn(i * 5 + k) for k in range(5)]
        svc.post(f"/subscriptions/{sub['id']}/assign", {"users": users}, acting=upn(i))


def move(svc):
    add_users(svc, 600)
    sub = svc.post("/purchases", {"productId": PRODUCTS[0], "quantity": 500}, acting=upn(0))
    for start in range(0, 500, 250):
        users = [upn(k) for k in range(start, start + 250)]
        svc.post(f"/subscriptions/{sub['id']}/assign", {"users": users}, acting=upn(0))
    central = svc.post("/subscriptions", {"productId": PRODUCTS[1], "quantity": 500})
    print(sub["id"], central["id"])


if __name__ == "__main__":
    url, what = sys.argv[1], sys.argv[2]
    {"tenant": tenant, "move": move}[what](Service(url))
