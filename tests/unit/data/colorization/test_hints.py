"""colorization.data.colorization.hints: random-pixel and geometric-patch hints."""

import pytest
import torch

from colorization.data.colorization.hints import GeometricPatchHints, RandomPixelHints


def seeded(seeds: list[int]) -> list[torch.Generator]:
    return [torch.Generator().manual_seed(s) for s in seeds]


@pytest.mark.parametrize("ratio", [0.01, 0.03, 0.05, 1.0])
def test_pixel_hints_hit_the_ratio(ratio: float) -> None:
    ab = torch.rand(4, 2, 64, 48) * 2 - 1
    _, mask = RandomPixelHints([ratio])(ab)
    counts = mask.sum(dim=(1, 2, 3))
    assert torch.equal(counts, torch.full((4,), round(ratio * 64 * 48), dtype=mask.dtype))


def test_pixel_hint_ratio_is_drawn_from_the_list() -> None:
    ab = torch.rand(64, 2, 20, 20)
    _, mask = RandomPixelHints([0.01, 0.05])(ab)
    counts = set(mask.sum(dim=(1, 2, 3)).tolist())
    assert counts == {4.0, 20.0}  # round(0.01 * 400), round(0.05 * 400): both seen


def test_pixel_hints_carry_true_colour_exactly_where_masked() -> None:
    ab = torch.rand(2, 2, 16, 16) + 0.1  # never zero
    hint_ab, mask = RandomPixelHints()(ab)
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(hint_ab, ab * mask)
    assert torch.equal(hint_ab != 0, mask.expand_as(ab).bool())


@pytest.mark.parametrize("sampler", [RandomPixelHints(), GeometricPatchHints()])
def test_seeded_hints_are_deterministic_and_independent_of_batch(sampler) -> None:
    ab = torch.rand(5, 2, 32, 32)
    first = sampler(ab, seeded([10, 11, 12, 13, 14]))
    again = sampler(ab, seeded([10, 11, 12, 13, 14]))
    alone = sampler(ab[2:3], seeded([12]))
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert all(torch.equal(a[2:3], b) for a, b in zip(first, alone, strict=True))
    other = sampler(ab, seeded([20, 21, 22, 23, 24]))
    assert not torch.equal(first[1], other[1])


def test_unseeded_hints_vary() -> None:
    ab = torch.rand(2, 2, 32, 32)
    assert not torch.equal(RandomPixelHints()(ab)[1], RandomPixelHints()(ab)[1])


@pytest.mark.parametrize("ratios", [[1.5], [], [-0.1, 0.5]])
def test_pixel_hints_reject_bad_ratios(ratios: list[float]) -> None:
    with pytest.raises(ValueError, match="ratios"):
        RandomPixelHints(ratios)


def test_a_zero_ratio_gives_no_hints() -> None:
    ab = torch.rand(3, 2, 16, 16)
    hint_ab, mask = RandomPixelHints([0.0])(ab)
    assert mask.sum() == 0 and hint_ab.abs().sum() == 0


@pytest.mark.parametrize("points", [0, 1, 5])
def test_geometric_points_fix_the_number_of_hints(points: int) -> None:
    ab = torch.rand(4, 2, 64, 64)
    generators = [torch.Generator().manual_seed(i) for i in range(4)]
    _, mask = GeometricPatchHints(points=points, patch_sizes=[1], location="uniform")(
        ab, generators
    )
    # 1-pixel patches: one hinted pixel per point, unless two land on the same pixel
    counts = mask.flatten(1).sum(1)
    assert (counts <= points).all() and (counts >= points - 1).all()
    if points == 0:
        assert counts.sum() == 0


def test_geometric_patch_carries_its_mean_colour() -> None:
    torch.manual_seed(0)
    sampler = GeometricPatchHints(p=0.5, patch_sizes=[3], location="uniform", max_points=1)
    ab = torch.rand(200, 2, 12, 12)
    hint_ab, mask = sampler(ab)
    hinted = mask.flatten(1).sum(1)
    assert set(hinted.tolist()) <= {0.0, 9.0}
    for i in torch.nonzero(hinted).flatten()[:20].tolist():
        ys, xs = torch.nonzero(mask[i, 0], as_tuple=True)
        patch = ab[i, :, ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        expected = patch.mean(dim=(1, 2))
        assert torch.allclose(hint_ab[i, :, ys, xs], expected[:, None].expand(-1, 9), atol=1e-5)
        assert (hint_ab[i] * (1 - mask[i])).abs().sum() == 0


def test_geometric_number_of_hints_has_the_geometric_mean() -> None:
    torch.manual_seed(0)
    sampler = GeometricPatchHints(p=0.125, patch_sizes=[1], location="uniform", max_points=200)
    _, mask = sampler(torch.zeros(2000, 2, 64, 64))
    counts = mask.flatten(1).sum(1)  # 1x1 patches: overlaps are rare on 64x64
    assert abs(counts.mean().item() - 7.0) < 0.5  # (1 - p) / p
    assert (counts == 0).float().mean().item() == pytest.approx(0.125, abs=0.03)


def test_geometric_normal_locations_cluster_at_the_centre() -> None:
    torch.manual_seed(0)
    _, normal = GeometricPatchHints(p=0.1, patch_sizes=[1], location="normal")(
        torch.zeros(500, 2, 64, 64)
    )
    _, uniform = GeometricPatchHints(p=0.1, patch_sizes=[1], location="uniform")(
        torch.zeros(500, 2, 64, 64)
    )

    def centre_share(mask: torch.Tensor) -> float:
        density = mask.sum(dim=(0, 1))
        return (density[16:48, 16:48].sum() / density.sum()).item()

    # N(32, 16) per axis puts 68 % within one std, so 0.68 ** 2 = 0.47 of the hints in the middle
    # square; a uniform layout puts a quarter there.
    assert centre_share(normal) == pytest.approx(0.466, abs=0.04)
    assert centre_share(uniform) == pytest.approx(0.25, abs=0.04)


@pytest.mark.parametrize(
    "kwargs",
    [{"p": 0.0}, {"p": 1.0}, {"patch_sizes": [0]}, {"location": "edge"}, {"points": 65}],
)
def test_geometric_rejects_bad_options(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="task.hints"):
        GeometricPatchHints(**kwargs)
