package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Decoding a snapshot's state machine off the driver's thread (InstallSnapshot rule 8, "Reset state
 * machine using snapshot contents"): only the state machine of the snapshot's own index, whole and
 * nothing more, is ever installed.
 */
class RestoredStateTest {

    private static final List<String> THREE = List.of("n1", "n2", "n3");

    /** The state machine after x => y at 1 and a => b at 2. */
    private static byte[] stateAt2() {
        KvStore kv = new KvStore();
        kv.apply(new LogEntry(1, 1, new Command.Put("x", "y"), null));
        kv.apply(new LogEntry(1, 2, new Command.Put("a", "b"), null));
        return kv.snapshotBytes();
    }

    private static RestoredState decode(long index, byte[] data) {
        return RestoredState.decode(new Snapshot(index, 1, THREE, data), SessionLimits.DEFAULT);
    }

    @Test
    void aSnapshotDecodesIntoTheStateMachineAtItsIndex_Figure13Rule8() {
        RestoredState state = decode(2, stateAt2());
        assertThat(state.index()).isEqualTo(2);
        assertThat(state.toString()).isEqualTo("RestoredState[index 2, 2 names]");
        KvStore kv = new KvStore();
        kv.restore(state);
        assertThat(kv.get("a")).isEqualTo(new Result.Ok("b"));
        assertThat(kv.lastApplied()).isEqualTo(2);
    }

    @Test
    void theStateMachineOfAnotherIndexIsNotThisSnapshots() {
        assertThatThrownBy(() -> decode(3, stateAt2())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not the state machine at index 3");
    }

    @Test
    void bytesThatAreNoStateMachineAreRefused() {
        byte[] data = stateAt2();
        data[0] ^= 1; // the magic number
        assertThatThrownBy(() -> decode(2, data)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not the state machine");
    }

    @Test
    void bytesAfterTheSessionTableAreRefused() {
        byte[] data = stateAt2();
        byte[] longer = Arrays.copyOf(data, data.length + 1);
        assertThatThrownBy(() -> decode(2, longer)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("left over");
    }
}
