package dev.stackerj.core.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The storage contract on the plain-copy fake, as a fast unit test. */
class CopyStorageTest extends StorageContract {
  @TempDir Path dir;

  private CopyStorage copyStorage;

  @Override
  protected Storage newStorage() throws Exception {
    copyStorage = new CopyStorage(Files.createDirectories(dir.resolve("roots")));
    return copyStorage;
  }

  @Override
  protected Storage storageAt(Path roots) {
    return new CopyStorage(roots);
  }

  @Override
  protected boolean isReadOnly(String name) {
    return copyStorage.isReadOnly(name);
  }

  @Override
  protected boolean refusesWrites() {
    return false;
  }
}
