from tests.conftest import DATASETS


def test_package_imports():
    import crmine

    assert crmine.__version__
    assert DATASETS.name == "datasets"
