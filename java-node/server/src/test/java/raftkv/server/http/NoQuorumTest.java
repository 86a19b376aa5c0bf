package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.server.Json;

/**
 * Node n1 of a three-node cluster whose other two members never answer: it can never elect itself.
 * The test plays n2 by posting Raft messages, to reach the states where requests fail.
 */
class NoQuorumTest {

    private static final String[] NO_TOKEN = {};
    /** Every wait in this test ends by then. */
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dataDir;

    private InProcessNode node;

    @BeforeEach
    void start() throws Exception {
        node = new InProcessNode(dataDir, null, 800, "n2", "n3");
    }

    @AfterEach
    void stop() throws Exception {
        node.close();
    }

    private static void assertError(HttpResponse<String> response, int status, String code, boolean definite)
            throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = json(response);
        assertThat(body.get("error").asText()).isEqualTo(code);
        assertThat(body.get("definite").asBoolean()).isEqualTo(definite);
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return Json.MAPPER.readTree(response.body());
    }

    @Test
    void withNoLeaderWritesAndReadsFailDefinitelyWith503() throws Exception {
        assertError(node.send("PUT", "/kv/a", "{\"name\":\"A\"}"), 503, "no_leader", true);
        assertError(node.send("GET", "/kv/a", null), 503, "no_leader", true);
        assertError(node.send("GET", "/kv", null), 503, "no_leader", true);
    }

    /**
     * Makes n1 leader of a new term by granting it n2's pre-vote and vote; returns that term. On a
     * slow machine n1's candidacy may time out before the vote arrives (it then campaigns again):
     * then this tries again, until {@link #WAIT}.
     */
    private long electN1() throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            node.awaitRole("pre_candidate");
            long term = node.loop().status().term() + 1;
            post("pre-vote-reply", "{\"term\":" + term + ",\"from\":\"n2\",\"to\":\"n1\",\"voteGranted\":true}");
            post("request-vote-reply", "{\"term\":" + term + ",\"from\":\"n2\",\"to\":\"n1\",\"voteGranted\":true}");
            long campaignDeadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < campaignDeadline) {
                if (node.loop().status().role().equals("leader") && node.loop().status().term() == term) {
                    return term;
                }
                Thread.sleep(5);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("n1 did not become leader within " + WAIT + "; it is "
                        + node.loop().status().role() + " in term " + node.loop().status().term());
            }
        }
    }

    private void post(String type, String body) throws Exception {
        assertThat(node.send("POST", "/raft/" + type, body, NO_TOKEN).statusCode()).isEqualTo(204);
    }

    /**
     * n2, as leader of {@code term}, sends {@code entries} after (prevIndex, prevTerm) and commits up
     * to {@code commit}; returns once n1 applied them (the post only queues the message).
     */
    private void n2Appends(long term, long prevIndex, long prevTerm, long commit, String... entries) throws Exception {
        post("append-entries", "{\"term\":" + term + ",\"from\":\"n2\",\"to\":\"n1\",\"prevLogIndex\":" + prevIndex
                + ",\"prevLogTerm\":" + prevTerm + ",\"entries\":[" + String.join(",", entries) + "],\"leaderCommit\":"
                + commit + ",\"round\":1}");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (node.loop().status().term() < term || node.loop().status().lastApplied() < commit) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("n1 did not apply n2's entries up to " + commit + " within " + WAIT);
            }
            Thread.sleep(5);
        }
    }

    private static String entry(long term, long index, String command) {
        return "{\"term\":" + term + ",\"index\":" + index + ",\"command\":" + command + "}";
    }

    private static String entry(long term, long index, String command, String clientId, long sequence) {
        return "{\"term\":" + term + ",\"index\":" + index + ",\"command\":" + command + ",\"session\":{\"clientId\":\""
                + clientId + "\",\"sequence\":" + sequence + "}}";
    }

    private static final String NOOP = "{\"type\":\"noop\"}";
    private static final String OPEN_SESSION = "{\"type\":\"open_session\"}";

    private static String put(String id, String name) {
        return "{\"type\":\"put\",\"id\":\"" + id + "\",\"name\":\"" + name + "\"}";
    }

    /** What {@link #appendAsLeader} left behind: n1's term as leader, the PUT's index, its answer to come. */
    private record Pending(long term, long index, CompletableFuture<HttpResponse<String>> response) {}

    /**
     * Elects n1 and sends it a PUT, until the PUT sits uncommitted in n1's log, after n1's no-op.
     * CheckQuorum deposes n1 one election timeout (100-200 ms) after it last heard from a majority,
     * so on a slow machine the PUT may arrive too late and fail with {@code no_leader} (nothing
     * appended): then the test elects n1 again. Every wait has a deadline.
     */
    private Pending appendAsLeader(String path, String body, String... headers) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long term = electN1();
            long index = node.loop().status().lastIndex() + 1; // the status after the election holds the no-op
            CompletableFuture<HttpResponse<String>> response = CompletableFuture.supplyAsync(() -> {
                try {
                    return node.send("PUT", path, body, headers);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            while (node.loop().status().lastIndex() < index && !response.isDone()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the PUT was not appended at index " + index + " within " + WAIT
                            + "; log size " + node.loop().status().lastIndex());
                }
                Thread.sleep(5);
            }
            if (node.loop().status().lastIndex() >= index) {
                return new Pending(term, index, response);
            }
            HttpResponse<String> early = response.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertError(early, 503, "no_leader", true); // deposed by CheckQuorum before it arrived: try again
            if (System.nanoTime() > deadline) {
                throw new AssertionError("n1 never stayed leader long enough to append the PUT within " + WAIT);
            }
        }
    }

    /**
     * n2 wins the term after {@code pending}'s and replaces n1's entries after {@code committed} (an
     * index of term 1) with no-ops and, at the pending PUT's index, another put; then commits them.
     */
    private void n2Overwrites(Pending pending, long committed) throws Exception {
        long next = pending.term() + 1;
        List<String> entries = new ArrayList<>();
        for (long i = committed + 1; i < pending.index(); i++) {
            entries.add(entry(next, i, NOOP));
        }
        entries.add(entry(next, pending.index(), put("other", "o")));
        n2Appends(next, committed, 1, pending.index(), entries.toArray(String[]::new));
    }

    private static HttpResponse<String> await(CompletableFuture<HttpResponse<String>> response) throws Exception {
        try {
            return response.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no answer to the write within " + WAIT, e);
        }
    }

    /** n2 says its log matches n1's up to {@code matchIndex}: with n1, a majority, so n1 commits that far. */
    private void n2Acknowledges(long term, long matchIndex) throws Exception {
        post("append-entries-reply", "{\"term\":" + term + ",\"from\":\"n2\",\"to\":\"n1\",\"success\":true,"
                + "\"matchIndex\":" + matchIndex + ",\"conflictTerm\":0,\"conflictIndex\":0,\"round\":0}");
    }

    /**
     * Gives n1 a session of its own for writes without one (it registers one with the first such
     * write): elects n1 and acknowledges its log as n2 until a sessionless write commits.
     */
    private void openNodeSession() throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long term = electN1();
            CompletableFuture<HttpResponse<String>> response = CompletableFuture.supplyAsync(() -> {
                try {
                    return node.send("PUT", "/kv/warm", "{\"name\":\"up\"}");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            while (!response.isDone()) {
                n2Acknowledges(term, node.loop().status().lastIndex());
                Thread.sleep(5);
            }
            if (response.get().statusCode() == 200) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("n1 could not commit a write within " + WAIT + ": " + response.get().body());
            }
        }
    }

    @Test
    void aWriteThatCannotCommitTimesOutIndefinitely() throws Exception {
        openNodeSession();
        electN1();

        // Appended to the leader's log, or refused if CheckQuorum deposed n1 first; never committed.
        HttpResponse<String> response = node.send("PUT", "/kv/a", "{\"name\":\"A\"}");
        if (json(response).get("error").asText().equals("no_leader")) {
            return; // deposed before the PUT arrived: nothing was appended, nothing to check
        }
        assertError(response, 504, "commit_timeout", false);
    }

    @Test
    void aWriteWithoutASessionOverwrittenByANewLeaderFailsDefinitely() throws Exception {
        openNodeSession(); // the write then carries n1's session, and only this one copy was sent
        // The write sits uncommitted after n1's no-op (at index 2, unless n1 had to campaign twice).
        Pending write = appendAsLeader("/kv/mine", "{\"name\":\"lost\"}");

        // n2 wins the next term with a different entry at that index and commits it.
        long next = write.term() + 1;
        n2Appends(next, write.index() - 1, write.term(), write.index(), entry(next, write.index(), put("theirs", "won")));

        assertError(await(write.response()), 503, "superseded", true);
        assertThat(node.loop().status().lastApplied()).isEqualTo(write.index());
    }

    @Test
    void aRetryOverwrittenAfterTheFirstCopyCommittedAnswersTheFirstCopysResultNotDefinitely_6_3() throws Exception {
        // n2 leads term 1: it opens session "2" and commits the client's first attempt of the put.
        n2Appends(1, 0, 0, 3, entry(1, 1, NOOP), entry(1, 2, OPEN_SESSION), entry(1, 3, put("x", "first"), "2", 1));

        // The client did not hear back and retries the same operation (same session, same sequence)
        // at n1, which leads the next term: the retry sits after n1's no-op (at 5, after the no-op at 4).
        Pending retry = appendAsLeader("/kv/x", "{\"name\":\"first\"}", "X-Client-Id", "2", "X-Client-Seq", "1");

        // n2 wins a later term and overwrites n1's entries after index 3 with its own.
        n2Overwrites(retry, 3);

        // The retry's copy never takes effect, but the operation did (its first copy): 200, with the
        // recorded result — not "superseded, definitely did not happen".
        HttpResponse<String> answer = await(retry.response());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(json(answer).get("name").asText()).isEqualTo("first");
    }

    @Test
    void aSessionWriteOverwrittenWithNoOtherCopyExecutedIsOutcomeUnknown_6_3() throws Exception {
        n2Appends(1, 0, 0, 2, entry(1, 1, NOOP), entry(1, 2, OPEN_SESSION));

        Pending write = appendAsLeader("/kv/x", "{\"name\":\"mine\"}", "X-Client-Id", "2", "X-Client-Seq", "1");

        n2Overwrites(write, 2);

        // Another copy (a retry through some other node) may still be in a log: not definite.
        assertError(await(write.response()), 503, "outcome_unknown", false);
    }
}
