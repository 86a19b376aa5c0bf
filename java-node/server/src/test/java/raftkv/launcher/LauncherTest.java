package raftkv.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LauncherTest {

    @Test
    void readsTheFeatureReleaseOfOldAndNewSpecificationVersions() {
        assertThat(Launcher.feature("1.8")).isEqualTo(8);
        assertThat(Launcher.feature("17")).isEqualTo(17);
        assertThat(Launcher.feature("21")).isEqualTo(21);
        assertThat(Launcher.feature("25.0.1")).isEqualTo(25);
        assertThat(Launcher.feature("weird")).isZero();
    }

    @Test
    void theTooOldMessageNamesTheNeededAndTheRunningJava() {
        assertThat(Launcher.tooOld(17, "17.0.15", "/usr/lib/jvm/java-17-openjdk-amd64"))
                .startsWith("raftkv-node needs Java 21 or newer, but this is Java 17.0.15"
                        + " (/usr/lib/jvm/java-17-openjdk-amd64).")
                .contains("scripts/find-jdk.sh");
    }
}
