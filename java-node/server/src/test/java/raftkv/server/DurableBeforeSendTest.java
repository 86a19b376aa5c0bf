package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import raftkv.core.Command;
import raftkv.core.HardState;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.core.RaftConfig;
import raftkv.core.RaftNode;
import raftkv.server.transport.Transport;
import raftkv.storage.DiskStorage;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * Figure 2: persistent state is "updated on stable storage before responding to RPCs". The node's
 * data directory lives on a {@link StrictMemFileSystem}; the fake transport below asks, at the
 * moment each message is handed to it, what a power loss at that instant would leave — only what
 * was fsynced — and recovers a node from it. (On a real disk a test cannot see a missing fsync:
 * the page cache survives a killed process.) Only a leader's AppendEntries may leave before its own
 * fsync (dissertation §10.2.1, see {@code Driver}); these are the replies that must not.
 */
class DurableBeforeSendTest {

    private final Path dataDir = Path.of("/data/n1");
    private final StrictMemFileSystem fs = new StrictMemFileSystem();

    /** A message as sent, next to the hard state and log a power loss at that instant would have left. */
    private record Sent(Message message, HardState hardStateOnDisk, List<LogEntry> logOnDisk) {}

    private final List<Sent> sent = new CopyOnWriteArrayList<>();
    private EventLoop loop;
    private DiskStorage storage;

    private final class DiskInspectingTransport implements Transport {
        @Override
        public void send(List<Message> messages) {
            try (DiskStorage recovered = DiskStorage.open(fs.durableImage(), dataDir)) {
                messages.forEach(m -> sent.add(new Sent(m, recovered.recoveredHardState(),
                        recovered.recoveredEntries())));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public void close() {}
    }

    private void startFollower() throws IOException {
        storage = DiskStorage.open(fs, dataDir);
        // Election timeout far beyond the test's length: n1 stays a follower and only answers.
        RaftConfig config = new RaftConfig("n1", List.of("n1", "n2", "n3"), 10_000, 20_000, 1, 256, 8, Set.of());
        RaftNode node = RaftNode.restart(config, storage.recoveredHardState(), storage.recoveredEntries(),
                new SplittableRandom(1));
        loop = new EventLoop(node, storage, new DiskInspectingTransport(), 10, e -> {
            throw new AssertionError("event loop failed", e);
        });
        loop.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (loop != null) {
            loop.stop();
        }
        if (storage != null) {
            storage.close();
        }
    }

    @Test
    void aVoteIsOnDiskBeforeTheReplyThatGrantsIt() throws Exception {
        startFollower();
        loop.deliver(new Message.RequestVote(5, "n2", "n1", 0, 0));

        Sent reply = awaitSent(Message.RequestVoteReply.class);

        assertThat(((Message.RequestVoteReply) reply.message()).voteGranted()).isTrue();
        assertThat(reply.hardStateOnDisk()).isEqualTo(new HardState(5, "n2"));
    }

    @Test
    void entriesAreOnDiskBeforeTheyAreAcknowledged() throws Exception {
        startFollower();
        List<LogEntry> entries = List.of(
                new LogEntry(3, 1, new Command.Noop(), null),
                new LogEntry(3, 2, new Command.Put("alice", "Alice"), null));
        loop.deliver(new Message.AppendEntries(3, "n2", "n1", 0, 0, entries, 0, 1));

        Sent reply = awaitSent(Message.AppendEntriesReply.class);

        assertThat(((Message.AppendEntriesReply) reply.message()).success()).isTrue();
        assertThat(reply.logOnDisk()).isEqualTo(entries);
        assertThat(reply.hardStateOnDisk().currentTerm()).isEqualTo(3);
    }

    @Test
    void anAcknowledgementAfterAnOverwriteLeavesOnlyOnceTheNewSuffixIsOnDisk() throws Exception {
        startFollower();
        LogEntry first = new LogEntry(2, 1, new Command.Put("a", "A"), null);
        loop.deliver(new Message.AppendEntries(2, "n2", "n1", 0, 0,
                List.of(first, new LogEntry(2, 2, new Command.Put("b", "B"), null)), 0, 1));
        awaitSent(Message.AppendEntriesReply.class);
        sent.clear();

        // A new leader of term 3 overwrites index 2 (§5.3): the ack promises the new entry is durable.
        LogEntry replacement = new LogEntry(3, 2, new Command.Put("b", "Bee"), null);
        loop.deliver(new Message.AppendEntries(3, "n3", "n1", 1, 2, List.of(replacement), 0, 1));
        Sent reply = awaitSent(Message.AppendEntriesReply.class);

        assertThat(((Message.AppendEntriesReply) reply.message()).matchIndex()).isEqualTo(2);
        assertThat(reply.logOnDisk()).containsExactly(first, replacement);
        assertThat(reply.hardStateOnDisk().currentTerm()).isEqualTo(3);
    }

    @Test
    void aNodeRecoversWhatItAcknowledgedAfterAPowerLoss() throws Exception {
        startFollower();
        List<LogEntry> entries = List.of(new LogEntry(2, 1, new Command.Put("bob", "Bob"), null));
        loop.deliver(new Message.AppendEntries(2, "n2", "n1", 0, 0, entries, 1, 1));
        awaitSent(Message.AppendEntriesReply.class);
        await(() -> loop.status().lastApplied() == 1);
        stop();
        fs.crash(); // power loss: only what was fsynced survives

        startFollower();

        assertThat(storage.recoveredEntries()).isEqualTo(entries);
        assertThat(storage.recoveredHardState().currentTerm()).isEqualTo(2);
        // The state machine is rebuilt from the log once the leader says what is committed.
        loop.deliver(new Message.AppendEntries(2, "n2", "n1", 1, 2, List.of(), 1, 2));
        await(() -> loop.status().lastApplied() == 1);
        Map<String, String> map = loop.readLocal(kv -> new TreeMap<>(kv.copyOfMap())).get(5, TimeUnit.SECONDS)
                instanceof ReadOutcome.Served<TreeMap<String, String>> served ? served.value() : Map.of();
        assertThat(map).containsExactly(Map.entry("bob", "Bob"));
    }

    private Sent awaitSent(Class<? extends Message> type) throws InterruptedException {
        await(() -> sent.stream().anyMatch(s -> type.isInstance(s.message())));
        return sent.stream().filter(s -> type.isInstance(s.message())).findFirst().orElseThrow();
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }
}
