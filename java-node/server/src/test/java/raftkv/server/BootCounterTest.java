package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootCounterTest {

    @TempDir
    Path dataDir;

    @Test
    void everyStartCountsOneMoreThanTheOneBefore() throws Exception {
        assertThat(BootCounter.next(dataDir)).isEqualTo(1);
        assertThat(BootCounter.next(dataDir)).isEqualTo(2);
        assertThat(BootCounter.next(dataDir)).isEqualTo(3);
        assertThat(Files.readString(dataDir.resolve(BootCounter.FILE)).trim()).isEqualTo("3");
        assertThat(dataDir.resolve(BootCounter.FILE + ".tmp")).doesNotExist();
    }

    @Test
    void aCountThatIsNotANumberStopsTheStart() throws Exception {
        Files.writeString(dataDir.resolve(BootCounter.FILE), "garbage");
        assertThatThrownBy(() -> BootCounter.next(dataDir)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a boot count");
    }
}
