package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.core.Command;
import raftkv.core.ForwardOutcome;
import raftkv.core.Message;
import raftkv.core.Session;
import raftkv.server.NodeConfig;

/**
 * "The server never proposes a write twice unless the state machine deduplicates it": node n1, a
 * follower, forwards a client's write without a session to its leader n2 (played by the test,
 * {@link FakeLeader}), which appends it and then refuses it anyway, as a leader that lost its record
 * of the forward would. n1 proposes the write again; both copies commit. Only one may apply.
 */
class SessionlessExactlyOnceTest {

    private static final String TOKEN = "s3cret";

    @TempDir
    Path dataDir;

    private FakeLeader leader;
    private InProcessNode node;

    @BeforeEach
    void start() throws Exception {
        leader = new FakeLeader();
        Map<String, URI> members = new TreeMap<>();
        members.put("n1", URI.create("http://127.0.0.1:1")); // unused: n1 listens on port 0
        members.put("n2", leader.url());
        members.put("n3", URI.create("http://127.0.0.1:3")); // nothing listens
        node = new InProcessNode(NodeConfig.builder("n1", new TreeMap<>(members), dataDir)
                .listen("127.0.0.1", 0)
                .timing(5, 1_000, 2_000, 20) // n1 stays a follower for the test's length
                .clusterToken(TOKEN)
                .requestTimeoutMs(5_000)
                .build());
        leader.connect(node.peerBase(), TOKEN);
    }

    @AfterEach
    void stop() throws Exception {
        node.close();
        leader.close();
    }

    @Test
    void aSessionlessCasWhoseFirstCopyWasFalselyRefusedAppliesOnce() throws Exception {
        leader.appendAndCommit(new Command.Put("x", "0"), null);
        awaitApplied(1);
        CompletableFuture<HttpResponse<String>> cas = CompletableFuture.supplyAsync(() -> {
            try {
                return node.send("POST", "/kv/x/cas", "{\"expected\":\"0\",\"name\":\"1\"}");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        List<Session> casCopies = new ArrayList<>();
        while (casCopies.size() < 2) {
            Message.ForwardedProposal forward = leader.nextForward();
            if (forward.command() instanceof Command.Cas && casCopies.isEmpty()) {
                // Appended (and committed below), yet answered "not appended": the answer a leader
                // gives that stepped down and forgot it had appended this forward (issue 19).
                leader.answer(forward, new ForwardOutcome.Refused(null));
            } else {
                leader.answer(forward, new ForwardOutcome.Appended(leader.nextIndex(), FakeLeader.TERM));
            }
            leader.appendAndCommit(forward.command(), forward.session());
            if (forward.command() instanceof Command.Cas) {
                casCopies.add(forward.session());
            }
        }

        HttpResponse<String> response = cas.get(10, TimeUnit.SECONDS);
        // Applied twice, the second copy would find "1" and answer a (false, definite) cas_mismatch.
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"id\":\"x\",\"name\":\"1\"}");
        assertThat(casCopies).as("both copies carry the same id").doesNotContainNull().hasSize(2);
        assertThat(casCopies.get(1)).isEqualTo(casCopies.get(0));
    }

    @Test
    void sessionlessWritesReuseTheNodesSessionWithIncreasingSequences() throws Exception {
        leader.appendAndCommit(new Command.Put("x", "0"), null);
        awaitApplied(1);
        List<Session> sessions = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            String name = Integer.toString(i);
            CompletableFuture<HttpResponse<String>> put = CompletableFuture.supplyAsync(() -> {
                try {
                    return node.send("PUT", "/kv/x", "{\"name\":\"" + name + "\"}");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Message.ForwardedProposal forward = leader.nextForward();
            if (forward.command() instanceof Command.OpenSession) { // the first write registers one
                appendAsAnswered(forward);
                forward = leader.nextForward();
            }
            appendAsAnswered(forward);
            assertThat(put.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            sessions.add(forward.session());
        }
        assertThat(sessions).extracting(Session::clientId).containsOnly("2"); // the registration's index
        assertThat(sessions).extracting(Session::sequence).containsExactly(1L, 2L, 3L);
    }

    /** As a leader does: says where it appends the forward, then appends and commits it. */
    private void appendAsAnswered(Message.ForwardedProposal forward) {
        leader.answer(forward, new ForwardOutcome.Appended(leader.nextIndex(), FakeLeader.TERM));
        leader.appendAndCommit(forward.command(), forward.session());
    }

    private void awaitApplied(long index) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (node.loop().status().lastApplied() < index || !"n2".equals(node.loop().status().leader())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("n1 did not apply index " + index + " from leader n2");
            }
            Thread.sleep(2);
        }
    }
}
