//! Unit tests of [`super`] (the tree growing), beside it.

use super::*;
use crate::chaid::Target;
use ndarray::{Array1, Array2};

/// A planted tree: y depends on x0 (categories {0,1} vs {2,3}), and within x0 ∈ {2,3} on x1.
fn planted(n: usize) -> (Array2<u32>, Array1<u32>) {
    let mut codes = Array2::<u32>::zeros((n, 3));
    let mut y = Array1::<u32>::zeros(n);
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    for i in 0..n {
        let x0 = next() % 4;
        let x1 = next() % 3;
        let x2 = next() % 5;
        codes[[i, 0]] = x0;
        codes[[i, 1]] = x1;
        codes[[i, 2]] = x2;
        let p = match (x0 >= 2, x1) {
            (false, _) => 20,
            (true, 0) => 90,
            (true, _) => 50,
        };
        y[i] = u32::from(next() % 100 < p);
    }
    (codes, y)
}

/// The planted data's codes (4, 3, 5 levels, all nominal or x1 ordinal), a binary target.
fn planted_inputs<'a>(
    codes: &'a Array2<u32>,
    y: &'a Array1<u32>,
    numeric: &'a Array2<f64>,
    ordinal_x1: bool,
) -> Inputs<'a> {
    let scales: &'static [Scale] = if ordinal_x1 {
        &[Scale::Nominal, Scale::Ordinal, Scale::Nominal]
    } else {
        &[Scale::Nominal, Scale::Nominal, Scale::Nominal]
    };
    Inputs {
        codes: codes.view(),
        n_levels: &[4, 3, 5],
        scales,
        numeric: numeric.view(),
        target: Target::Classes {
            codes: y.view(),
            n_classes: 2,
        },
        freq: None,
        case: None,
        rank: None,
    }
}

#[test]
fn recovers_a_planted_tree_deterministically() {
    let (codes, y) = planted(20_000);
    let numeric = Array2::<f64>::zeros((20_000, 0));
    let inputs = planted_inputs(&codes, &y, &numeric, false);
    let tree = fit_chaid(&inputs, &ChaidParams::default()).unwrap();
    let root = tree.nodes[0].split.as_ref().unwrap();
    assert_eq!(root.predictor, 0);
    assert_eq!(root.slot_child[..4], [0, 0, 1, 1]);
    let right = &tree.nodes[tree.nodes[0].children[1]];
    assert_eq!(right.split.as_ref().unwrap().predictor, 1);
    let again = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| fit_chaid(&inputs, &ChaidParams::default()).unwrap());
    assert_eq!(tree, again);
}

#[test]
fn counts_and_weights_paths_agree() {
    // Plain counts (tables by subtraction) and unit frequency weights (summed tables) give the
    // same tree; rows of weight zero take no part; column-major codes read the same.
    let (codes, y) = planted(20_000);
    let numeric = Array2::<f64>::zeros((20_000, 0));
    let params = ChaidParams {
        max_depth: 5,
        min_parent_size: 30.0,
        min_child_size: 30.0,
        ..ChaidParams::default()
    };
    let inputs = planted_inputs(&codes, &y, &numeric, true);
    let plain = fit_chaid(&inputs, &params).unwrap();
    assert!(plain.nodes.len() > 3, "{}", plain.nodes.len());
    let ones = Array1::<f64>::ones(20_000);
    let weighted = fit_chaid(
        &Inputs {
            freq: Some(ones.view()),
            ..inputs.clone()
        },
        &params,
    )
    .unwrap();
    assert_eq!(plain, weighted);
    let mut fortran = Array2::<u32>::zeros((3, 20_000)).reversed_axes();
    fortran.assign(&codes);
    assert!(fortran.column(0).to_slice().is_some());
    let again = fit_chaid(
        &Inputs {
            codes: fortran.view(),
            ..inputs.clone()
        },
        &params,
    )
    .unwrap();
    assert_eq!(plain, again);
    // Doubling the data with zero-weight copies changes nothing.
    let mut codes2 = Array2::<u32>::zeros((40_000, 3));
    codes2.slice_mut(ndarray::s![..20_000, ..]).assign(&codes);
    codes2.slice_mut(ndarray::s![20_000.., ..]).fill(1);
    let mut y2 = Array1::<u32>::zeros(40_000);
    y2.slice_mut(ndarray::s![..20_000]).assign(&y);
    let mut w2 = Array1::<f64>::zeros(40_000);
    w2.slice_mut(ndarray::s![..20_000]).fill(1.0);
    let numeric2 = Array2::<f64>::zeros((40_000, 0));
    let padded = fit_chaid(
        &Inputs {
            codes: codes2.view(),
            numeric: numeric2.view(),
            target: Target::Classes {
                codes: y2.view(),
                n_classes: 2,
            },
            freq: Some(w2.view()),
            ..inputs.clone()
        },
        &params,
    )
    .unwrap();
    assert_eq!(plain, padded);
}

#[test]
fn bad_inputs_are_errors() {
    let (codes, y) = planted(100);
    let numeric = Array2::<f64>::zeros((100, 0));
    let one = Array1::<u32>::zeros(100);
    let mut inputs = planted_inputs(&codes, &one, &numeric, false);
    let err = fit_chaid(&inputs, &ChaidParams::default()).unwrap_err();
    assert!(err.to_string().contains("single class"), "{err}");
    inputs.target = Target::Classes {
        codes: y.view(),
        n_classes: 2,
    };
    let params = ChaidParams {
        alpha_merge: 1.5,
        ..ChaidParams::default()
    };
    assert!(fit_chaid(&inputs, &params).is_err());
    let nan = Array1::from_elem(100, f64::NAN);
    inputs.target = Target::Continuous(nan.view());
    assert!(fit_chaid(&inputs, &ChaidParams::default()).is_err());
}
