"""Resonance scan in the missing mass: windows, acceptance, background, counts.

For every mass hypothesis m of the scan the window is m ± k·σ(m), with σ(m)
the missing-mass resolution measured on signal MC.  The signal MC is a grid of
HNL masses; resolution and acceptance are measured at each grid mass and
interpolated linearly to the scan hypotheses.  The expected background in a
window is the sum over MC channels of the selected MC events in the window,
each channel normalised to the measured kaon flux:
n_bkg = Σ_c N_K · B_c · (Σ w in window)/N_fid,c.  Limits are computed by
:mod:`analysis.stats`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm


def robust_sigma(x: np.ndarray, clip: float = 2.5, iterations: int = 10) -> tuple[float, float]:
    """Mean and standard deviation of the Gaussian core of ``x`` (iterative k-σ clipping)."""
    x = np.asarray(x, dtype=float)
    if x.size < 3:
        return float("nan"), float("nan")
    mean, sigma = np.median(x), 1.4826 * np.median(np.abs(x - np.median(x)))
    # the standard deviation of a Gaussian clipped at ±clip·σ underestimates σ by this factor
    frac = norm.cdf(clip) - norm.cdf(-clip)
    correction = np.sqrt(frac / (frac - 2 * clip * norm.pdf(clip)))
    for _ in range(iterations):
        core = x[np.abs(x - mean) < clip * max(sigma, 1e-12)]
        if core.size < 3:
            break
        new_mean, new_sigma = core.mean(), core.std() * correction
        if abs(new_sigma - sigma) < 1e-9 * max(sigma, 1e-12) and abs(new_mean - mean) < 1e-12:
            break
        mean, sigma = new_mean, new_sigma
    return float(mean), float(sigma)


def signal_grid(
    signal: pd.DataFrame, masses_mev: np.ndarray, n_fiducial: np.ndarray, k_sigma: float
) -> pd.DataFrame:
    """Resolution and acceptance at each signal-MC mass.

    ``signal`` holds selected signal events with ``m_miss_mev``, ``true_mass_n``
    (GeV) and ``weight``.  Acceptance = weighted events within ±kσ of the true
    mass / decays of that mass in the fiducial region.
    """
    rows = []
    true_mev = np.round(signal["true_mass_n"].to_numpy(dtype=float) * 1e3, 3)
    for m, n_fid in zip(masses_mev, n_fiducial, strict=True):
        sel = signal[np.isclose(true_mev, m, atol=1e-3)]
        dm = sel["m_miss_mev"].to_numpy() - m
        shift, sigma = robust_sigma(dm)
        w = sel["weight"].to_numpy(dtype=float)
        inside = np.abs(dm) < k_sigma * sigma if np.isfinite(sigma) else np.zeros(len(dm), bool)
        acc = w[inside].sum() / n_fid if n_fid else 0.0
        acc_err = np.sqrt((w[inside] ** 2).sum()) / n_fid if n_fid else 0.0
        rows.append(
            {
                "mass_mev": float(m),
                "sigma_mev": sigma,
                "shift_mev": shift,
                "acceptance": acc,
                "acceptance_err": acc_err,
                "acceptance_total": w.sum() / n_fid if n_fid else 0.0,
                "n_selected": int(len(sel)),
                "n_fiducial": int(n_fid),
            }
        )
    return pd.DataFrame(rows)


def interpolate_grid(grid: pd.DataFrame, masses_mev: np.ndarray) -> pd.DataFrame:
    """Resolution and acceptance at the scan masses (linear interpolation in mass)."""
    good = grid[np.isfinite(grid["sigma_mev"]) & (grid["n_selected"] > 0)]
    if len(good) < 2:
        raise ValueError(
            "signal MC: fewer than two masses with selected events; increase signal_decays"
        )
    x = good["mass_mev"].to_numpy()
    out = pd.DataFrame({"mass_mev": masses_mev})
    for col in ("sigma_mev", "shift_mev", "acceptance", "acceptance_err"):
        out[col] = np.interp(masses_mev, x, good[col].to_numpy())
    return out


def windows(hypotheses: pd.DataFrame, k_sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Window edges m + shift ± k·σ for each hypothesis (MeV)."""
    centre = hypotheses["mass_mev"].to_numpy() + hypotheses["shift_mev"].to_numpy()
    half = k_sigma * hypotheses["sigma_mev"].to_numpy()
    return centre - half, centre + half


def window_sums(
    values: np.ndarray, weights: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Σw and Σw² of the entries of ``values`` inside each [lo, hi) window (vectorised)."""
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=float)[order]
    w = np.asarray(weights, dtype=float)[order]
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cw2 = np.concatenate([[0.0], np.cumsum(w * w)])
    i_lo = np.searchsorted(v, lo, side="left")
    i_hi = np.searchsorted(v, hi, side="left")
    return cw[i_hi] - cw[i_lo], cw2[i_hi] - cw2[i_lo]


def background_in_windows(
    mc: dict[str, pd.DataFrame], scale: dict[str, float], lo: np.ndarray, hi: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Expected background per channel and its MC-statistical variance, summed over channels.

    ``scale[c]`` converts a weighted MC event of channel c into expected events in the data.
    A channel that has selected events but none in a window contributes the
    variance of one event there (the 68% CL upper bound of an empty count is ~1.1).
    """
    per_channel: dict[str, np.ndarray] = {}
    variance = np.zeros_like(lo, dtype=float)
    for name, cand in mc.items():
        s, s2 = window_sums(cand["m_miss_mev"].to_numpy(), cand["weight"].to_numpy(), lo, hi)
        per_channel[name] = scale[name] * s
        if len(cand):
            empty = s2 == 0
            w_typ = float(np.median(cand["weight"]))
            s2 = np.where(empty, w_typ**2, s2)
        variance += scale[name] ** 2 * s2
    return per_channel, variance


def observed_in_windows(data_mass_mev: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Observed events in each window (integer counts)."""
    n, _ = window_sums(data_mass_mev, np.ones(len(data_mass_mev)), lo, hi)
    return np.rint(n).astype(np.int64)


def histogram(
    values: np.ndarray, weights: np.ndarray, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted histogram and the square root of its Σw² per bin."""
    h, _ = np.histogram(values, bins=edges, weights=weights)
    h2, _ = np.histogram(values, bins=edges, weights=np.asarray(weights, float) ** 2)
    return h, np.sqrt(h2)
