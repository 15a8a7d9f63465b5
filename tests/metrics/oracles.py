"""Slow, obvious per-query oracles of spec §7 (ties broken by database index)."""

import numpy as np


def relevant_to(query_label, database_labels):
    # Spec §7.1 literally: the query's zeros become -1, relevant = any equal entry.
    label = np.array(query_label, dtype=np.float64)
    label[label == 0] = -1
    return [bool(np.any(row == label)) for row in np.asarray(database_labels, np.float64)]


def signs(x):
    return np.where(np.asarray(x) >= 0, 1.0, -1.0)


def hamming_row(q, database):
    return [int(round((len(q) - float(np.dot(q, x))) / 2)) for x in database]


def ap_of(ranked):
    hits, total = 0, 0.0
    for k, r in enumerate(ranked, start=1):
        if r:
            hits += 1
            total += hits / k
    return hits, total


def map_at_r(query, query_labels, database, database_labels, R, dist):
    aps = []
    for i, q in enumerate(query):
        d = [dist(q, x) for x in database]
        rel = relevant_to(query_labels[i], database_labels)
        order = sorted(range(len(database)), key=lambda j: (d[j], j))[:R]
        hits, total = ap_of([rel[j] for j in order])
        if hits:
            aps.append(total / hits)
    return float(np.mean(aps)) if aps else float("nan")


def map_rerank(query, query_labels, database, database_labels, R):
    aps = []
    for i, q in enumerate(query):
        h = hamming_row(signs(q), signs(database))
        rel = relevant_to(query_labels[i], database_labels)
        ranked = []
        for distance in range(len(q)):
            bucket = [j for j in range(len(database)) if h[j] == distance]
            bucket.sort(key=lambda j: (-float(np.dot(q, database[j])), j))
            ranked += [rel[j] for j in bucket]
        hits, total = ap_of(ranked[:R])
        if hits:
            aps.append(total / hits)
    return float(np.mean(aps))


def radius(query, query_labels, database, database_labels, r):
    precisions, recalls, maps = [], [], []
    for i, q in enumerate(query):
        h = hamming_row(signs(q), signs(database))
        rel = relevant_to(query_labels[i], database_labels)
        got = [j for j in range(len(database)) if h[j] <= r]
        if not got:
            precisions.append(0.0), recalls.append(0.0), maps.append(0.0)
            continue
        hits = sum(rel[j] for j in got)
        precisions.append(hits / len(got))
        recalls.append(hits / sum(rel) if sum(rel) else float("nan"))
        if r >= 10:
            maps.append(hits / len(got))
            continue
        got.sort(key=lambda j: (-float(np.dot(q, database[j])), j))
        n, total = ap_of([rel[j] for j in got])
        if n:
            maps.append(total / n)
    return float(np.mean(precisions)), float(np.mean(recalls)), float(np.mean(maps))


def curves(query, query_labels, database, database_labels):
    bits = query.shape[1]
    out = np.zeros((3, len(query), bits + 1))
    for i, q in enumerate(query):
        h = hamming_row(signs(q), signs(database))
        rel = relevant_to(query_labels[i], database_labels)
        order = sorted(range(len(database)), key=lambda j: (h[j], j))
        ranked = [rel[j] for j in order]
        farthest = max(h)
        for r in range(bits + 1):
            if r > farthest:  # the original copies the previous radius forward
                out[:, i, r] = out[:, i, r - 1]
                continue
            n = sum(1 for j in range(len(database)) if h[j] <= r)
            if n == 0:
                continue
            hits, total = ap_of(ranked[:n])
            out[0, i, r] = hits / n
            out[1, i, r] = hits / sum(rel) if sum(rel) else float("nan")
            out[2, i, r] = total / hits if hits else 0.0
    return out.mean(axis=1)
