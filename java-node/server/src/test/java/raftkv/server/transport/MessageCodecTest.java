package raftkv.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.core.ClusterConfig;
import raftkv.core.Command;
import raftkv.core.ForwardOutcome;
import raftkv.core.LogEntry;
import raftkv.core.Member;
import raftkv.core.Message;
import raftkv.core.Session;
import raftkv.server.Json;

class MessageCodecTest {

    /** Voters n1..n3 with their URLs, learner n4 (dissertation §4.2.1). */
    private static final ClusterConfig WITH_LEARNER = new ClusterConfig(
            List.of(new Member("n1", "http://n1:8080", "http://n1:9090"), new Member("n2", "", ""),
                    new Member("n3", "http://n3:8080", "http://n3:9090")),
            List.of(new Member("n4", "http://n4:8080", "http://n4:9090")));

    /** One of every Message record: a new record fails {@link #everyMessageRecordHasABinaryForm} until added. */
    private static final List<Message> SAMPLES = List.of(
            new Message.RequestVote(7, "n1", "n2", 40, 6),
            new Message.RequestVote(7, "n1", "n2", 40, 6, true),
            new Message.RequestVoteReply(7, "n2", "n1", true),
            new Message.PreVote(8, "n3", "n1", 41, 7),
            new Message.PreVoteReply(7, "n1", "n3", false),
            new Message.AppendEntries(7, "n1", "n2", 40, 6, List.of(
                    new LogEntry(7, 41, new Command.Noop(), null),
                    new LogEntry(7, 42, new Command.Put("alice", "Älice ✓"), new Session("c-1", 3)),
                    new LogEntry(7, 43, new Command.Cas("bob", "Bob", "Robert"), null),
                    new LogEntry(7, 44, new Command.Delete("carol"), new Session("c-2", 1)),
                    new LogEntry(7, 45, new Command.OpenSession(), null),
                    new LogEntry(7, 46, new Command.Configuration(WITH_LEARNER), null)), 39, 123),
            new Message.AppendEntries(7, "n1", "n3", 45, 7, List.of(), 45, 124),
            new Message.AppendEntriesReply(7, "n2", "n1", true, 45, 0, 0, 123),
            new Message.AppendEntriesReply(7, "n3", "n1", false, 0, 5, 30, 124),
            new Message.InstallSnapshot(7, "n1", "n2", 300, 6, List.of("n1", "n2", "n3"), 1024,
                    new byte[] {1, 2, 3, 0, (byte) 0xff}, false),
            new Message.InstallSnapshot(7, "n1", "n2", 300, 6, List.of("n1", "n2", "n3"), 1029, new byte[0], true),
            new Message.InstallSnapshot(7, "n1", "n4", 300, 6, WITH_LEARNER, 0, new byte[] {9}, true),
            new Message.InstallSnapshotReply(7, "n2", "n1", 300, 1029, 300),
            new Message.TimeoutNow(8, "n1", "n3"),
            new Message.ForwardedProposal(7, "n2", "n1", -7_046_029_254_386_353_131L, 1_000_001,
                    new Command.Cas("bob", "Bob", "Rob ✓"), new Session("c-9", 4)),
            new Message.ForwardedProposal(7, "n3", "n1", 42L, 2, new Command.OpenSession(), null),
            new Message.ForwardedProposalReply(7, "n1", "n2", 42L, 1_000_001, new ForwardOutcome.Appended(46, 7)),
            new Message.ForwardedProposalReply(7, "n1", "n3", 42L, 2, new ForwardOutcome.Refused("n2")),
            new Message.ForwardedProposalReply(7, "n1", "n3", -1L, 3, new ForwardOutcome.Refused(null)),
            new Message.ReadIndexRequest(7, "n2", "n1", Long.MIN_VALUE, 17),
            new Message.ReadIndexReply(7, "n1", "n2", Long.MAX_VALUE, 17, 45));

    @Test
    void everyMessageRecordHasABinaryForm() {
        List<Class<?>> records = Arrays.asList(Message.class.getPermittedSubclasses());
        assertThat(MessageCodec.knownTypes()).containsExactlyInAnyOrderElementsOf(records);
        assertThat(SAMPLES.stream().map(Object::getClass).distinct().toList())
                .containsExactlyInAnyOrderElementsOf(records);
    }

    @Test
    void everyMessageReadsBackEqualToWhatWasWritten() throws Exception {
        for (Message message : SAMPLES) {
            assertThat(MessageCodec.fromBytes(MessageCodec.toBytes(message))).isEqualTo(message);
        }
    }

    @Test
    void anUnknownTagIsRefused() {
        byte[] frame = MessageCodec.toBytes(SAMPLES.get(0));
        frame[0] = 99;
        assertThatThrownBy(() -> MessageCodec.fromBytes(frame))
                .isInstanceOf(MessageCodec.MalformedFrameException.class).hasMessageContaining("tag 99");
    }

    @Test
    void everyTruncationIsRefused() {
        for (Message message : SAMPLES) {
            byte[] frame = MessageCodec.toBytes(message);
            for (int length = 0; length < frame.length; length++) {
                byte[] cut = Arrays.copyOf(frame, length);
                assertThatThrownBy(() -> MessageCodec.fromBytes(cut)).as("%s cut at %d", message, length)
                        .isInstanceOf(MessageCodec.MalformedFrameException.class);
            }
        }
    }

    @Test
    void bytesAfterTheMessageAreRefused() {
        byte[] frame = Arrays.copyOf(MessageCodec.toBytes(SAMPLES.get(1)), MessageCodec.toBytes(SAMPLES.get(1)).length + 1);
        assertThatThrownBy(() -> MessageCodec.fromBytes(frame))
                .isInstanceOf(MessageCodec.MalformedFrameException.class).hasMessageContaining("1 bytes after");
    }

    @Test
    void anEntryCountLargerThanTheFrameIsRefusedWithoutAllocatingIt() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(5); // AppendEntries
        out.writeLong(1);
        out.writeUTF("n1");
        out.writeUTF("n2");
        out.writeLong(0);
        out.writeLong(0);
        out.writeInt(Integer.MAX_VALUE);
        assertThatThrownBy(() -> MessageCodec.fromBytes(bytes.toByteArray()))
                .isInstanceOf(MessageCodec.MalformedFrameException.class).hasMessageContaining("does not fit");
    }

    @Test
    void anEntryTheRecordRefusesIsAMalformedFrame() {
        byte[] frame = MessageCodec.toBytes(SAMPLES.stream()
                .filter(m -> m instanceof Message.AppendEntries a && !a.entries().isEmpty()).findFirst().orElseThrow());
        // The first entry's term follows tag(1) term(8) "n1"(2+2) "n2"(2+2) prev(8+8) count(4): zero it.
        int firstEntryTerm = 1 + 8 + 4 + 4 + 16 + 4;
        Arrays.fill(frame, firstEntryTerm, firstEntryTerm + 8, (byte) 0);
        assertThatThrownBy(() -> MessageCodec.fromBytes(frame))
                .isInstanceOf(MessageCodec.MalformedFrameException.class).hasMessageContaining("term >= 1");
    }

    @Test
    void anUnknownForwardOutcomeIsRefused() {
        byte[] frame = MessageCodec.toBytes(new Message.ForwardedProposalReply(7, "n1", "n2", 3L, 5,
                new ForwardOutcome.Appended(46, 7)));
        // The outcome's tag follows tag(1) term(8) "n1"(2+2) "n2"(2+2) incarnation(8) proposalId(8).
        frame[1 + 8 + 4 + 4 + 8 + 8] = 9;
        assertThatThrownBy(() -> MessageCodec.fromBytes(frame))
                .isInstanceOf(MessageCodec.MalformedFrameException.class).hasMessageContaining("outcome tag 9");
    }

    @Test
    void aForwardedProposalWithAnUnknownCommandIsRefused() {
        byte[] frame = MessageCodec.toBytes(new Message.ForwardedProposal(7, "n2", "n1", 3L, 5,
                new Command.Delete("x"), null));
        frame[1 + 8 + 4 + 4 + 8 + 8] = 42; // the command's tag, after incarnation(8) and proposalId(8)
        assertThatThrownBy(() -> MessageCodec.fromBytes(frame))
                .isInstanceOf(MessageCodec.MalformedFrameException.class).hasMessageContaining("command tag 42");
    }

    @Test
    void aForwardedProposalWithAnInvalidSessionIsRefused() {
        byte[] frame = MessageCodec.toBytes(new Message.ForwardedProposal(7, "n2", "n1", 3L, 5,
                new Command.Delete("x"), new Session("c", 1)));
        // The session's sequence is the last 8 bytes: 0 is not a sequence number.
        Arrays.fill(frame, frame.length - 8, frame.length, (byte) 0);
        assertThatThrownBy(() -> MessageCodec.fromBytes(frame))
                .isInstanceOf(MessageCodec.MalformedFrameException.class).hasMessageContaining("sequence");
    }

    @Test
    void aConfigurationEntryHasAJsonFormToo() throws Exception {
        LogEntry entry = new LogEntry(7, 46, new Command.Configuration(WITH_LEARNER), null);
        String json = Json.MAPPER.writeValueAsString(entry);
        assertThat(Json.MAPPER.readValue(json, LogEntry.class)).as(json).isEqualTo(entry);
    }

    /** The forwarding messages also have a JSON form, for {@code POST /raft/{type}} (tests, debugging). */
    @Test
    void theForwardingMessagesReadBackFromJson() throws Exception {
        for (Message message : SAMPLES) {
            if (message instanceof Message.ForwardedProposal || message instanceof Message.ForwardedProposalReply
                    || message instanceof Message.ReadIndexRequest || message instanceof Message.ReadIndexReply) {
                String json = Json.MAPPER.writeValueAsString(message);
                assertThat(Json.MAPPER.readValue(json, message.getClass())).as(json).isEqualTo(message);
            }
        }
    }
}
