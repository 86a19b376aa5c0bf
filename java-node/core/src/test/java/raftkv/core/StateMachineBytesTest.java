package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A snapshot keeps each session's last result, so that a retried command gets the same answer after
 * a restart from it (§6.3): every kind of result must read back as it was written.
 */
class StateMachineBytesTest {

    private static Result roundTrip(Result result) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StateMachineBytes.writeResult(new DataOutputStream(bytes), result);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
        Result read = StateMachineBytes.readResult(in);
        assertThat(in.available()).as("every byte of %s read", result).isZero();
        return read;
    }

    @Test
    void everyKindOfResultReadsBackAsWritten_6_3() throws IOException {
        for (Result result : List.of(new Result.Ok(null), new Result.Ok("Alice"), new Result.NotFound(),
                new Result.Mismatch("Bob"), new Result.StaleSession(41), new Result.SessionOpened("c7"),
                new Result.SessionExpired("c8"), new Result.SessionTableFull(), new Result.QuotaExceeded(900, 800))) {
            assertThat(roundTrip(result)).isEqualTo(result);
        }
    }

    @Test
    void aNegativeOrOverlongStringLengthIsAnError() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new DataOutputStream(bytes).writeInt(-1);
        assertThatThrownBy(() -> StateMachineBytes.readString(new DataInputStream(
                new ByteArrayInputStream(bytes.toByteArray())))).hasMessageContaining("bad string length -1");

        bytes.reset();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(5);
        out.write(new byte[] {'a', 'b'});
        assertThatThrownBy(() -> StateMachineBytes.readString(new DataInputStream(
                new ByteArrayInputStream(bytes.toByteArray())))).hasMessageContaining("ends inside a string of 5");

        bytes.reset();
        out = new DataOutputStream(bytes);
        out.writeInt(0);
        assertThat(StateMachineBytes.readString(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))))
                .isEmpty();
    }
}
