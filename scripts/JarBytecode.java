import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Prints the newest Java release any class on a classpath was compiled for, and the jar that
 * needs it: "25 /root/.m2/.../gnuplot-0.1.3.jar". Run with the JDK's source launcher:
 * {@code java scripts/JarBytecode.java "$(lein classpath)"}.
 *
 * <p>Why: the Jepsen control image installs JDK 21 by default; a jar built from source with a
 * newer javac (no {@code --release}) fails there with UnsupportedClassVersionError only when the
 * test is already starting. docker/cluster.sh asks this first and installs the JDK that is needed.
 * Classes under META-INF/versions/ (multi-release jars) are skipped: the JVM picks those only
 * when it is new enough.
 */
public final class JarBytecode {
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java JarBytecode.java CLASSPATH");
            System.exit(2);
        }
        int newestMajor = 0;
        String newestJar = "-";
        for (String element : args[0].split(File.pathSeparator)) {
            if (!element.endsWith(".jar") || !new File(element).isFile()) continue;
            int major = newestClassIn(element);
            if (major > newestMajor) {
                newestMajor = major;
                newestJar = element;
            }
        }
        // Class-file major version 65 is Java 21, 69 is Java 25: release = major - 44.
        System.out.println((newestMajor == 0 ? 0 : newestMajor - 44) + " " + newestJar);
    }

    private static int newestClassIn(String jar) throws IOException {
        int newest = 0;
        try (ZipFile zip = new ZipFile(jar)) {
            var entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                String name = entry.getName();
                if (!name.endsWith(".class") || name.startsWith("META-INF/")
                        || name.endsWith("module-info.class")) continue;
                try (var in = new DataInputStream(zip.getInputStream(entry))) {
                    if (in.readInt() != 0xCAFEBABE) continue;
                    in.readUnsignedShort();                 // minor version
                    newest = Math.max(newest, in.readUnsignedShort());
                }
            }
        }
        return newest;
    }
}
