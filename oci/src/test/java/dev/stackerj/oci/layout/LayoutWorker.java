package dev.stackerj.oci.layout;

import dev.stackerj.oci.Descriptor;
import dev.stackerj.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A second process working on a layout, for {@link OciLayoutConcurrencyTest}: {@code tag DIR PREFIX N} tags
 * N images PREFIX-0.. (each its own blob), {@code slow-blob DIR GO} streams a blob that it finishes only once
 * the file GO exists.
 */
public final class LayoutWorker {
  private LayoutWorker() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    switch (args[0]) {
      case "tag": {
        OciLayout layout = OciLayout.openOrCreate(dir);
        for (int i = 0; i < Integer.parseInt(args[3]); i++) {
          String tag = args[2] + "-" + i;
          Descriptor d = layout.putBlob(MediaTypes.IMAGE_MANIFEST, ("{\"tag\":\"" + tag + "\"}").getBytes(StandardCharsets.UTF_8));
          layout.tag(tag, d);
        }
        break;
      }
      case "slow-blob": {
        OciLayout layout = OciLayout.openOrCreate(dir);
        Path go = Path.of(args[2]);
        layout.writeBlob(out -> {
          out.write("slow blob, first part; ".getBytes(StandardCharsets.UTF_8));
          out.flush();
          System.out.println("writing");
          System.out.flush();
          while (!Files.exists(go)) {
            try {
              Thread.sleep(20);
            } catch (InterruptedException e) {
              throw new java.io.InterruptedIOException();
            }
          }
          out.write("second part".getBytes(StandardCharsets.UTF_8));
          return null;
        });
        break;
      }
      default:
        throw new IllegalArgumentException(args[0]);
    }
  }
}
