package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.core.ClusterConfig;
import raftkv.core.Member;

/**
 * A configuration as {@link EntryCodec} reads it, from a WAL record, a snapshot file or a peer's
 * message: anything that cannot be one is an {@link IOException} saying so (the callers treat it as
 * damage), never another exception, and a damaged member count allocates nothing.
 */
class EntryCodecTest {

    private interface Fields {
        void write(DataOutputStream out) throws IOException;
    }

    private static ClusterConfig read(Fields fields) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        fields.write(new DataOutputStream(bytes));
        return EntryCodec.readConfiguration(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    }

    private static void member(DataOutputStream out, String id) throws IOException {
        out.writeUTF(id);
        out.writeUTF("http://" + id + ":8080");
        out.writeUTF("http://" + id + ":9090");
    }

    @Test
    void aDamagedConfigurationIsAnIOExceptionWhicheverFieldIsWrong() {
        assertThatThrownBy(() -> read(out -> out.writeInt(-1))).as("a negative voter count")
                .isInstanceOf(IOException.class).hasMessage("malformed configuration: -1 members");
        assertThatThrownBy(() -> read(out -> {
            out.writeInt(1);
            member(out, "n1");
            out.writeInt(-2);
        })).as("a negative learner count").isInstanceOf(IOException.class)
                .hasMessage("malformed configuration: -2 members");
        assertThatThrownBy(() -> read(out -> {
            out.writeInt(1);
            member(out, " ");
            out.writeInt(0);
        })).as("a blank id").isInstanceOf(IOException.class)
                .hasMessage("malformed configuration: a blank member id");
        assertThatThrownBy(() -> read(out -> {
            out.writeInt(1);
            member(out, "n1");
            out.writeInt(1);
            member(out, "n1");
        })).as("a voter that is a learner too").isInstanceOf(IOException.class)
                .hasMessageStartingWith("malformed configuration: member n1 appears twice");
    }

    @Test
    void aMemberCountBeyondAnyClusterIsRefusedBeforeAnythingIsAllocated() {
        for (int count : new int[] {EntryCodec.MAX_MEMBERS + 1, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> read(out -> out.writeInt(count))).as("%d members", count)
                    .isInstanceOf(IOException.class).hasMessage("malformed configuration: " + count + " members");
        }
    }

    @Test
    void aConfigurationOfExactlyTheMemberBoundReadsBack() throws IOException {
        List<Member> voters = new ArrayList<>();
        for (int i = 0; i < EntryCodec.MAX_MEMBERS; i++) {
            voters.add(Member.ofId("n" + i));
        }
        ClusterConfig configuration = new ClusterConfig(voters, List.of(Member.ofId("learner")));

        assertThat(read(out -> EntryCodec.writeConfiguration(configuration, out))).isEqualTo(configuration);
    }
}
