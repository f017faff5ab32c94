"""`make run` writes the local instance's SQLite files without fsync, and no other SQLite file."""

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from scripts.run import write_instance_without_fsync


def _synchronous(path) -> int:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("PRAGMA synchronous")).scalar())
    finally:
        engine.dispose()


def test_only_the_instance_folder_is_written_without_fsync(tmp_path):
    home, elsewhere = tmp_path / "dagster_home", tmp_path / "other"
    (home / "history" / "runs").mkdir(parents=True)
    elsewhere.mkdir()
    before = _synchronous(home / "runs.db")
    write_instance_without_fsync(home)
    write_instance_without_fsync(home)  # once per process, however often it is asked
    assert before == 2  # FULL, SQLite's default
    assert _synchronous(home / "runs.db") == 0  # OFF
    assert _synchronous(home / "history" / "runs" / "index.db") == 0
    assert _synchronous(elsewhere / "other.db") == 2
    assert _synchronous(tmp_path / "dagster_home_other.db") == 2  # a sibling whose name starts alike
