"""Zhang et al. 2016's ab classification: the 313 bins, soft encoding, rebalancing, annealed mean,
the loss, and the bin prior of a training set with its cache."""

from __future__ import annotations

import math
import random

import kornia.color
import numpy as np
import pytest
import torch

from colorization.data.colorization.ab_prior import (
    cached_bin_counts,
    data_fingerprint,
    measure_bin_counts,
)
from colorization.losses import ABClassificationLoss
from colorization.losses.ab_bins import (
    annealed_mean,
    candidate_table,
    count_bins,
    dense_targets,
    nearest_bins,
    nearest_candidates,
    published_bins,
    rebalancing_weights,
    smoothed_prior,
    soft_encode,
)
from colorization.losses.ab_classification import AnnealedMeanDecoder, output_stride
from colorization.models.eccv16 import ECCV16

CENTRES = published_bins()


def bin_of(a: float, b: float) -> int:
    """The class index of the bin centred at (a, b)."""
    return int((CENTRES - torch.tensor([a, b])).abs().sum(dim=1).argmin())


def at(a: float, b: float) -> torch.Tensor:
    """One colour as a (1, 2, 1, 1) ab map."""
    return torch.tensor([a, b], dtype=torch.float32).view(1, 2, 1, 1)


# --- the bins --------------------------------------------------------------------------------
def test_the_313_published_bins_lie_on_the_grid_of_10() -> None:
    assert CENTRES.shape == (313, 2)
    assert len({tuple(c) for c in CENTRES.tolist()}) == 313
    assert torch.equal(CENTRES, (CENTRES / 10).round() * 10)
    assert CENTRES[0].tolist() == [-90.0, 50.0] and CENTRES[-1].tolist() == [100.0, 0.0]


def test_the_bins_cover_the_srgb_gamut_and_stay_near_it() -> None:
    """Every grid cell an sRGB colour falls in is a bin, and every bin is within 1.5 grid steps
    of an sRGB colour (the set is empirical, from ImageNet's pixels: a little wider than the
    gamut of sRGB, never far outside it)."""
    levels = torch.linspace(0, 1, 48)
    rgb = torch.stack(torch.meshgrid(levels, levels, levels, indexing="ij")).reshape(3, 1, -1)
    ab = kornia.color.rgb_to_lab(rgb.unsqueeze(0))[0, 1:].reshape(2, -1).T
    cells = {tuple(c) for c in ((ab / 10).round() * 10).tolist()}
    bins = {tuple(c) for c in CENTRES.tolist()}
    assert cells <= bins
    distance_to_gamut = torch.cdist(CENTRES, ab).min(dim=1).values
    assert distance_to_gamut.max() < 15


# --- soft encoding and decoding ---------------------------------------------------------------
def test_soft_encoding_spreads_a_colour_over_its_five_nearest_bins() -> None:
    ab = torch.randn(2, 2, 5, 7) * 40
    weights, indices = soft_encode(ab, CENTRES, neighbours=5, sigma=5.0)
    assert weights.shape == indices.shape == (2, 5, 5, 7)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(2, 5, 7))
    assert (weights[:, :1] >= weights[:, 1:]).all()  # the nearest bin first, largest weight
    dense = dense_targets(weights, indices, len(CENTRES))
    torch.testing.assert_close(dense.sum(dim=1), torch.ones(2, 5, 7))
    assert ((dense > 0).sum(dim=1) == 5).all()


def test_the_candidate_table_finds_the_same_nearest_bins_as_measuring_all() -> None:
    torch.manual_seed(0)
    colours = torch.rand(20000, 2) * 256 - 128
    halfway = torch.tensor([[5.0, 5.0], [-85.0, 45.0], [4.5, 0.5], [127.6, -127.6]])
    colours = torch.cat([colours, halfway])
    table = candidate_table(CENTRES, 5)
    assert table.shape[:2] == (257, 257) and table.shape[2] < 20
    exact, exact_bins = nearest_bins(colours, CENTRES, 5)
    looked_up, bins = nearest_candidates(colours, CENTRES, 5, table)
    torch.testing.assert_close(looked_up, exact)  # the same distances (ties may swap bins)
    assert (bins == exact_bins).float().mean() > 0.999
    weights, _ = soft_encode(colours.T.reshape(1, 2, 1, -1), CENTRES, table=table)
    exact_weights, _ = soft_encode(colours.T.reshape(1, 2, 1, -1), CENTRES)
    torch.testing.assert_close(weights, exact_weights, atol=1e-4, rtol=0)


def test_a_colour_on_an_inner_bin_weighs_it_against_its_four_neighbours() -> None:
    """At a bin centre the 4 nearest others are 10 away: Gaussian weights 1 and 4 x e^-2."""
    weights, indices = soft_encode(at(0.0, 0.0), CENTRES, neighbours=5, sigma=5.0)
    assert CENTRES[indices[0, 0, 0, 0]].tolist() == [0.0, 0.0]
    expected = 1 / (1 + 4 * math.exp(-(10**2) / (2 * 5**2)))
    assert weights[0, 0, 0, 0].item() == pytest.approx(expected, rel=1e-6)


def test_annealed_mean_goes_from_the_mode_at_t_0_to_the_mean_at_t_1() -> None:
    logits = torch.randn(3, len(CENTRES), 4, 4) * 3
    best = logits.argmax(dim=1, keepdim=True)
    logits.scatter_add_(1, best, torch.full_like(best, 0.1, dtype=logits.dtype))  # a clear mode
    mode = CENTRES[best[:, 0]].permute(0, 3, 1, 2)
    torch.testing.assert_close(annealed_mean(logits, CENTRES, 0.0), mode)
    torch.testing.assert_close(annealed_mean(logits, CENTRES, 1e-3), mode, atol=1e-3, rtol=0)
    mean = torch.einsum("bqhw,qc->bchw", logits.softmax(dim=1), CENTRES)
    torch.testing.assert_close(annealed_mean(logits, CENTRES, 1.0), mean)
    with pytest.raises(ValueError, match="temperature"):
        annealed_mean(logits, CENTRES, -1.0)


def test_the_decoder_brings_quarter_resolution_scores_to_the_image_size() -> None:
    decoder = AnnealedMeanDecoder(CENTRES, temperature=0.38)
    logits = torch.zeros(1, len(CENTRES), 9, 5)
    logits[:, 150] = 50.0  # certain of one bin everywhere
    ab = decoder(logits, (33, 17))  # the stride (4) found from the sizes
    assert ab.shape == (1, 2, 33, 17)
    torch.testing.assert_close(ab, decoder(logits, (33, 17), stride=4))
    torch.testing.assert_close(ab, (CENTRES[150] / 110).view(1, 2, 1, 1).expand_as(ab))
    assert decoder(torch.zeros(1, len(CENTRES), 6, 6), (6, 6)).shape == (1, 2, 6, 6)
    with pytest.raises(ValueError, match="must be at its resolution or at 1/s"):
        decoder(torch.zeros(1, len(CENTRES), 7, 5), (33, 17))


def test_the_stride_of_lower_resolution_scores_is_found_from_the_sizes() -> None:
    assert output_stride((9, 5), (33, 17)) == 4
    assert output_stride((6, 7), (6, 7)) == 1
    for predicted in [(7, 5), (34, 17), (9, 4)]:
        with pytest.raises(ValueError, match="must be at its resolution or at 1/s"):
            output_stride(predicted, (33, 17))


# --- rebalancing --------------------------------------------------------------------------------
def test_rebalancing_weights_average_to_one_under_the_prior_and_favour_rare_bins() -> None:
    counts = torch.rand(len(CENTRES)) ** 4 * 1000
    counts[:20] = 0  # bins the data never reaches
    prior = smoothed_prior(counts, CENTRES, sigma=5.0)
    assert prior.sum().item() == pytest.approx(1.0, abs=1e-6) and (prior > 0).all()
    weights = rebalancing_weights(prior, mix=0.5)
    assert (prior * weights).sum().item() == pytest.approx(1.0, abs=1e-5)
    assert weights[prior.argmin()] > weights[prior.argmax()]
    torch.testing.assert_close(rebalancing_weights(prior, mix=1.0), torch.ones(len(CENTRES)))
    with pytest.raises(ValueError, match="lambda"):
        rebalancing_weights(prior, mix=0.0)
    with pytest.raises(ValueError, match="all zero"):
        smoothed_prior(torch.zeros(len(CENTRES)), CENTRES)


def test_count_bins_counts_each_colour_at_its_nearest_bin() -> None:
    ab = torch.tensor([[0.0, 1.0], [2.0, -3.0], [58.0, 61.0]]).T.reshape(1, 2, 1, 3)
    counts = count_bins(ab, CENTRES)
    assert counts.sum() == 3
    assert counts[bin_of(0, 0)].item() == 2
    assert counts[bin_of(60, 60)].item() == 1


# --- the loss -----------------------------------------------------------------------------------
def test_uniform_scores_cost_log_313_and_the_loss_has_one_channel_per_bin() -> None:
    loss = ABClassificationLoss()
    assert loss.output_channels == 313
    target = torch.rand(2, 2, 8, 8) * 0.8 - 0.4
    uniform = torch.zeros(2, 313, 8, 8, requires_grad=True)
    assert loss(uniform, target).item() == pytest.approx(math.log(313), rel=1e-5)
    loss(uniform, target).backward()
    assert uniform.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="313 output channels"):
        loss(torch.zeros(2, 2, 8, 8), target)


def test_quarter_resolution_scores_are_compared_with_every_fourth_target_pixel() -> None:
    loss = ABClassificationLoss()
    logits, target = torch.randn(1, 313, 9, 5), torch.rand(1, 2, 33, 17) - 0.5
    sub_sampled = target[..., ::4, ::4]
    assert loss(logits, target).item() == pytest.approx(loss(logits, sub_sampled).item())


def test_rebalancing_weighs_each_pixel_by_its_nearest_bin() -> None:
    loss = ABClassificationLoss()
    counts = torch.ones(313)
    counts[bin_of(0, 0)] = 1e6  # grey is common
    loss.set_prior(counts)
    logits = torch.zeros(1, 313, 1, 2)
    grey_and_red = torch.tensor([[0.0, 0.0], [60.0, 60.0]]).T.reshape(1, 2, 1, 2) / 110
    per_pixel = [loss(logits[..., i : i + 1], grey_and_red[..., i : i + 1]) for i in (0, 1)]
    assert per_pixel[1] > 10 * per_pixel[0]  # the rare colour counts far more
    plain = ABClassificationLoss(rebalance=False)
    plain.set_prior(counts)
    assert torch.equal(plain.class_weights, torch.ones(313))


def test_one_training_step_lowers_the_loss() -> None:
    torch.manual_seed(0)
    net, loss = ECCV16(1, 313, base_width=4), ABClassificationLoss()
    lightness, target = torch.rand(4, 1, 24, 24) * 2 - 1, torch.rand(4, 2, 24, 24) * 0.6 - 0.3
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    before = loss(net(lightness), target)
    before.backward()
    optimizer.step()
    assert loss(net(lightness), target).item() < before.item()


def test_the_loss_checks_its_options() -> None:
    for options, message in [
        ({"neighbours": 0}, "neighbours"),
        ({"sigma": 0.0}, "sigma"),
        ({"prior_images": 0}, "prior_images"),
        ({"prior_mix": 1.5}, "lambda"),
        ({"temperature": -0.1}, "temperature"),
    ]:
        with pytest.raises(ValueError, match=message):
            ABClassificationLoss(**options)


# --- the prior of a training set ------------------------------------------------------------------
class Crops(torch.utils.data.Dataset):
    """Random "crops" drawn from torch's global generator, as the training crops are."""

    def __len__(self) -> int:
        return 10

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"image": torch.randint(0, 256, (3, 6, 6), dtype=torch.uint8)}


def test_the_prior_is_reproducible_and_leaves_the_run_s_random_draws_alone() -> None:
    torch.manual_seed(1)
    random.seed(1)
    np.random.seed(1)
    expected = (torch.rand(3), random.random(), np.random.rand())
    torch.manual_seed(1)
    random.seed(1)
    np.random.seed(1)
    first = measure_bin_counts(Crops(), CENTRES, images=4)
    after = (torch.rand(3), random.random(), np.random.rand())
    assert torch.equal(after[0], expected[0]) and after[1:] == expected[1:]
    assert first.sum() == 4 * 36  # 4 evenly spaced items of 36 pixels
    torch.manual_seed(2)
    torch.testing.assert_close(measure_bin_counts(Crops(), CENTRES, images=4), first)


def test_the_prior_is_cached_and_measured_again_for_other_data(tmp_path) -> None:
    path, measured = tmp_path / "ab_prior.json", []

    def measure() -> torch.Tensor:
        measured.append(1)
        return torch.arange(313, dtype=torch.float64)

    same = data_fingerprint({"image_size": 32, "batch_size": 4}, images=8)
    counts, cached = cached_bin_counts(path, same, 313, measure)
    assert not cached and len(measured) == 1
    loader_change = data_fingerprint({"image_size": 32, "batch_size": 16}, images=8)
    counts, cached = cached_bin_counts(path, loader_change, 313, measure)
    assert cached and len(measured) == 1 and counts[5] == 5
    other_data = data_fingerprint({"image_size": 64, "batch_size": 4}, images=8)
    assert not cached_bin_counts(path, other_data, 313, measure)[1] and len(measured) == 2
    path.write_text("{not json")
    assert not cached_bin_counts(path, other_data, 313, measure)[1] and len(measured) == 3
