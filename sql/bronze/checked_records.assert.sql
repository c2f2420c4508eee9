-- every reason starts with a known code
SELECT * FROM bronze.checked_records
WHERE reason IS NOT NULL
  AND split_part(reason, ':', 1) NOT IN ('bad_record', 'missing_id', 'bad_date', 'date_out_of_range');

-- entity and CRM records report on the fetch day; delivery records inside their fetch window
SELECT * FROM bronze.checked_records c
JOIN bronze.landed_records l USING (request_id, record_index)
WHERE c.report_date IS NOT NULL
  AND CASE WHEN c.stream = 'delivery' THEN c.report_date NOT BETWEEN c.window_from AND c.window_to
      ELSE c.report_date <> l.fetch_date END;
