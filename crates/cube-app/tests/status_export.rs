//! The customer-status download reads its rows a page at a time (issue 16): with a page of
//! three, an export of ten customers comes as four pages in import order; a customer removed
//! from the assignment between two pages — the last of the page just written, and one not
//! reached yet — skips nothing and repeats nothing; the rows are counted without moving the
//! pages; and a selection that keeps none of a page's rows reads past it. Bulk work and its
//! preview page the same way inside their unit.

mod common;

use common::Harness;
use cube_app::Cube;
use cube_app::reports::StatusExportRow;
use cube_app::status_exports::StatusPages;
use cube_domain::bulk::Selection;
use std::collections::BTreeSet;
use std::num::NonZeroU32;

fn names(rows: &[StatusExportRow]) -> Vec<String> {
    rows.iter()
        .map(|r| r.customer.details().name.to_string())
        .collect()
}

async fn rest(pages: &mut StatusPages) -> Vec<StatusExportRow> {
    let mut rows = Vec::new();
    while let Some(page) = pages.next_page().await.expect("a page") {
        assert!(!page.is_empty(), "a page holds rows");
        assert!(page.len() <= 3, "at most a page of enrollments");
        rows.extend(page);
    }
    rows
}

#[tokio::test]
async fn a_removed_enrollment_between_pages_skips_nothing_and_repeats_nothing() {
    let h = Harness::new(10).await;
    let (w, a) = (&h.world, h.world.assignment.id());
    let cube: Cube = h
        .cube
        .clone()
        .with_export_page(NonZeroU32::new(3).expect("not zero"));
    let everyone = cube
        .select(&w.manager, a, &Selection::default())
        .await
        .expect("selected");
    assert_eq!(everyone.len(), 10);
    let in_order: Vec<String> = everyone
        .iter()
        .map(|r| r.customer.details().name.to_string())
        .collect();

    let mut export = cube
        .customer_status_export(&w.manager, a, None)
        .await
        .expect("the export");
    assert_eq!(export.at_most, 10, "the counters' figure");
    assert_eq!(export.rows.count().await.expect("counted"), 10);
    let first = export
        .rows
        .next_page()
        .await
        .expect("a page")
        .expect("rows");
    assert_eq!(names(&first), in_order[..3], "counting moved nothing");
    assert_eq!(
        export.rows.count().await.expect("counted"),
        7,
        "the rows from where the pages stand"
    );

    // The page's last enrollment and one further on are removed before the next page.
    let mut uow = h.store.begin().await.expect("a unit");
    uow.delete_enrollment(first[2].enrollment.id())
        .await
        .expect("removed");
    uow.delete_enrollment(everyone[7].enrollment.id())
        .await
        .expect("removed");
    uow.commit().await.expect("committed");

    let rest = rest(&mut export.rows).await;
    let mut expected = in_order[3..].to_vec();
    expected.remove(7 - 3);
    assert_eq!(
        names(&rest),
        expected,
        "every row after the removed one's place, once, in order; the removed one further on is not written"
    );
    let ids: BTreeSet<_> = first
        .iter()
        .chain(&rest)
        .map(|r| r.enrollment.id())
        .collect();
    assert_eq!(ids.len(), 3 + rest.len(), "no row twice");
}

#[tokio::test]
async fn a_selection_reads_past_pages_it_keeps_nothing_of() {
    let h = Harness::new(10).await;
    let (w, a) = (&h.world, h.world.assignment.id());
    let cube: Cube = h
        .cube
        .clone()
        .with_export_page(NonZeroU32::new(3).expect("not zero"));
    let everyone = cube
        .select(&w.manager, a, &Selection::default())
        .await
        .expect("selected");
    // The last enrollment (page four) is the one with an attempt.
    let last = everyone.last().expect("a last one").enrollment.clone();
    let mut called = last.snapshot().clone();
    called.attempts = 1;
    let mut uow = h.store.begin().await.expect("a unit");
    uow.update_enrollment(&called.into())
        .await
        .expect("updated");
    uow.commit().await.expect("committed");

    let selection = Selection {
        min_attempts: Some(1),
        ..Selection::default()
    };
    let mut export = cube
        .export_selection(&w.manager, a, &selection)
        .await
        .expect("the export");
    assert_eq!(export.rows.count().await.expect("counted"), 1);
    let rows = rest(&mut export.rows).await;
    assert_eq!(rows.len(), 1, "one page, after three kept nothing");
    assert_eq!(rows[0].enrollment.id(), last.id());
}

/// Bulk work and its preview read the selection a page at a time inside their unit: with a
/// page of three, ten customers are previewed (count and the first rows), moved, and refused
/// all or nothing when one on the last page cannot take the outcome — nothing of the pages
/// before it is kept.
#[tokio::test]
async fn bulk_work_and_its_preview_span_pages_all_or_nothing() {
    use cube_domain::bulk::BulkAction;
    use cube_domain::outcome::RegisterOutcome;
    use cube_testkit::fixtures::SalesFlow;
    let h = Harness::new(10).await;
    let (w, a) = (&h.world, h.world.assignment.id());
    let cube: Cube = h
        .cube
        .clone()
        .with_export_page(NonZeroU32::new(3).expect("not zero"));
    let everyone = Selection::default();
    let preview = cube
        .preview_selection(&w.manager, a, &everyone, 4)
        .await
        .expect("a preview");
    assert_eq!(preview.count, 10, "counted across four pages");
    let all = cube.select(&w.manager, a, &everyone).await.expect("all");
    assert_eq!(all.len(), 10);
    assert_eq!(
        preview.rows,
        all[..4].to_vec(),
        "the first rows in import order"
    );

    let segment = cube
        .add_segment(&w.manager, a, "Runde to")
        .await
        .expect("a segment");
    let moved = cube
        .bulk(
            &w.manager,
            a,
            &everyone,
            BulkAction::MoveToSegment(Some(segment)),
        )
        .await
        .expect("moved");
    assert_eq!((moved.selected, moved.changed), (10, 10));

    // The last customer (page four) is sold: a Lead may not follow a Sale, so the whole
    // change is refused and the nine before it keep their state.
    let last = all.last().expect("a last one").enrollment.clone();
    let mut concluded = last.snapshot().clone();
    concluded.state = SalesFlow::SALE;
    let mut uow = h.store.begin().await.expect("a unit");
    uow.update_enrollment(&concluded.into())
        .await
        .expect("updated");
    uow.commit().await.expect("committed");
    let refused = cube
        .bulk(
            &w.manager,
            a,
            &everyone,
            BulkAction::RegisterOutcome(Box::new(RegisterOutcome::new(SalesFlow::O_LEAD))),
        )
        .await
        .expect_err("one cannot take it");
    assert!(
        matches!(
            refused,
            cube_app::AppError::Bulk {
                selected: 10,
                failed: 1,
                ..
            }
        ),
        "{refused:?}"
    );
    let after = cube.select(&w.manager, a, &everyone).await.expect("all");
    assert_eq!(
        after
            .iter()
            .filter(|r| r.enrollment.state() == SalesFlow::LEAD)
            .count(),
        0,
        "nothing of the refused change is kept"
    );

    // Removing while paging forward in the same unit skips nothing.
    let removed = cube
        .bulk(&w.manager, a, &everyone, BulkAction::Remove)
        .await
        .expect("removed");
    assert_eq!((removed.selected, removed.changed), (10, 10));
    let left = cube
        .preview_selection(&w.manager, a, &everyone, 4)
        .await
        .expect("a preview");
    assert_eq!((left.count, left.rows.len()), (0, 0));
}
