import pytest

from gaitnode.errors import GaitnodeError, refuse_existing


def test_refuse_existing_names_the_first_existing_output_and_counts(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    refuse_existing([a, b], overwrite=False)  # nothing there yet
    b.write_text("x")
    c.write_text("x")
    with pytest.raises(GaitnodeError, match=r"b: already exists \(2 of the 3 outputs do\); pass --force"):
        refuse_existing([a, b, c], overwrite=False)
    with pytest.raises(GaitnodeError, match=r"c: already exists; pass --force \(Python: overwrite=True\)"):
        refuse_existing([c], overwrite=False)
    refuse_existing([a, b, c], overwrite=True)
